import { Injectable } from '@nestjs/common';
import { MARKET, type Requirement } from '@gridledger/auth';
import { DomainError } from '@gridledger/domain';
import { AuthService } from '@gridledger/service-kit';

const MARKET_OPERATOR: Requirement = { role: 'MARKET_OPERATOR', scope: MARKET };
const plantOperator = (plantId: string): Requirement => ({ role: 'PLANT_OPERATOR', scope: plantId });

/**
 * Who may do what in capacity-market (docs/authorization.md, "## capacity-market"): roles from
 * the RoleRegistry mirror; a holder has no role, it is the address that holds the shares, so a
 * holder's own writes and reads are those whose signer or session is its holder id.
 */
@Injectable()
export class CapacityAccess {
  constructor(private readonly auth: AuthService) {}

  /** A PLANT_OPERATOR of the plant naming itself as operator, or the market operator. */
  registerPlant(signer: string, plantId: string, operator: string): void {
    const held = this.auth.require(signer, [MARKET_OPERATOR, plantOperator(plantId)], `register plant ${plantId}`, 'plantId');
    if (held.role === 'PLANT_OPERATOR' && operator.toLowerCase() !== signer.toLowerCase()) {
      throw new DomainError('forbidden', 'OPERATOR_NOT_SIGNER', 'operator', `the plant names operator ${operator} but was signed by ${signer}; a plant operator registers its plant naming itself (the market operator may name anyone)`);
    }
  }

  /** Only the plant's PLANT_OPERATOR issues its shares. */
  issue(signer: string, plantId: string): void {
    this.auth.require(signer, [plantOperator(plantId)], `issue shares of plant ${plantId}`, 'plantId');
  }

  /** Only the holder moves or retires its own shares: the signer must be the named holder. */
  holderItself(signer: string, holderId: string, field: string, action: string): void {
    if (holderId !== signer) {
      throw new DomainError('forbidden', 'HOLDER_NOT_SIGNER', field, `${signer} may not ${action} the shares of ${holderId}: only the holder itself (the address that holds them) may`);
    }
  }

  /** A holder registers itself; the market operator may register any holder. */
  registerHolder(signer: string, holderId: string): void {
    if (holderId === signer || this.auth.roles.has('MARKET_OPERATOR', MARKET, signer)) return;
    throw new DomainError('forbidden', 'HOLDER_NOT_SIGNER', 'holderId', `${signer} may not register holder ${holderId}: a holder registers itself (holderId = the signer's address), or the market operator registers it`);
  }

  /** The plant's PLANT_OPERATOR or the market operator read who holds the plant's shares. */
  readHoldings(reader: string, plantId: string): void {
    this.auth.require(reader, [MARKET_OPERATOR, plantOperator(plantId)], `read the holdings of plant ${plantId}`, 'authorization');
  }

  /** The holder itself or the market operator read its holdings and statements. */
  readHolder(reader: string, holderId: string): void {
    if (holderId === reader || this.auth.roles.has('MARKET_OPERATOR', MARKET, reader)) return;
    throw new DomainError('forbidden', 'NOT_THE_HOLDER', 'authorization', `${reader} may not read holder ${holderId}: only the holder itself or the market operator may`);
  }
}
