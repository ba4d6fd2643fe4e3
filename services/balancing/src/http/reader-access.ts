import { Inject, Injectable } from '@nestjs/common';
import { getAddress } from 'ethers';
import type { DataSource } from 'typeorm';
import { MARKET, type Requirement } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';
import { brpAccount } from '@gridledger/settlement';
import { AuthService, DATA_SOURCE } from '@gridledger/service-kit';
import { meterParties } from '../persistence/registry.repository';

const MARKET_WIDE: readonly Requirement[] = [
  { role: 'MARKET_OPERATOR', scope: MARKET },
  { role: 'TSO', scope: MARKET },
];

/**
 * Who may read what of balancing (docs/authorization.md, section balancing), by the session's
 * (or the forwarded reader's) address and the role mirror; one place for HTTP and the proof
 * responder.
 */
@Injectable()
export class ReaderAccess {
  constructor(
    private readonly auth: AuthService,
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
  ) {}

  /** A group-period's detail: the group's BRP, MARKET_OPERATOR, TSO; else 403. */
  requireGroupReader(reader: string, groupId: string): void {
    this.auth.require(reader, [...MARKET_WIDE, { role: 'BRP', scope: groupId }], `read group ${groupId}'s periods`, 'authorization');
  }

  /**
   * A meter's proof in a group-period: its MPO or supplier (of the version valid at the period's
   * start, as the registry named them) or MARKET_OPERATOR. Null when allowed, else the reason.
   */
  async proofRefusal(readerAddress: string, groupId: string, periodId: string, meterId: string): Promise<string | null> {
    // A forwarded reader may come in any hex case (a wrong mixed-case checksum must not throw).
    const reader = getAddress(readerAddress.toLowerCase());
    if (this.auth.roles.has('MARKET_OPERATOR', MARKET, reader)) return null;
    const parties = await meterParties(this.dataSource.manager, meterId, groupId, new Date(periodId));
    const me = reader.toLowerCase();
    if (parties.some((party) => party.mpo?.toLowerCase() === me || party.supplier?.toLowerCase() === me)) return null;
    // The same answer for "no such meter" and "not yours": a stranger learns nothing about the meter.
    return `${reader} may not read proofs of meter ${meterId} in group ${groupId}: only the meter's MPO or supplier or MARKET_OPERATOR may`;
  }

  async requireProofReader(reader: string, groupId: string, periodId: string, meterId: string): Promise<void> {
    const refusal = await this.proofRefusal(reader, groupId, periodId, meterId);
    if (refusal) throw new DomainError('forbidden', 'MISSING_ROLE', 'authorization', refusal);
  }

  /**
   * The ledger accounts `reader` may see: null for every account (MARKET_OPERATOR, TSO), else
   * the `brp:<group>` accounts of the groups it is BRP of (403 when that is none).
   */
  async ledgerAccounts(reader: string): Promise<string[] | null> {
    if (MARKET_WIDE.some(({ role, scope }) => this.auth.roles.has(role, scope, reader))) return null;
    const groups: { group_id: string }[] = await this.dataSource.query(`SELECT DISTINCT group_id FROM group_periods`);
    const own = groups.filter((row) => this.auth.roles.has('BRP', row.group_id, reader)).map((row) => brpAccount(row.group_id));
    if (own.length === 0) throw new DomainError('forbidden', 'MISSING_ROLE', 'authorization', `${reader} may not read the ledger: it needs MARKET_OPERATOR or TSO, or BRP of a balancing group`);
    return own.sort();
  }
}
