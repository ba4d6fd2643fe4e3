import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError } from '@gridledger/domain';
import { directionSchema, groupIdString, meterPointIdString, periodIdString } from '@gridledger/events';
import { DATA_SOURCE, PageQuery, PageRequest, ReadSession, SessionAddress, parseOrRefuse, type Page } from '@gridledger/service-kit';
import { ProofService } from '../proofs/proof.service';
import { GroupPeriodsReadRepository, type GroupPeriodRow } from '../persistence/group-periods-read.repository';
import type { StoredVersion } from '../persistence/versions.repository';
import { ReaderAccess } from './reader-access';

export const groupParams = z.object({ group: groupIdString });
export const periodParams = groupParams.extend({ periodId: periodIdString });
export const proofParams = periodParams.extend({ meterId: meterPointIdString });
export const proofQuery = z.object({ version: z.coerce.number().int().positive().optional(), direction: directionSchema.optional() });

function versionView(version: StoredVersion) {
  return {
    version: version.version,
    trigger: version.trigger,
    feedInWh: version.feedInWh.toString(),
    feedOutWh: version.feedOutWh.toString(),
    scheduleNetWh: version.scheduleNetWh.toString(),
    imbalanceWh: version.imbalanceWh.toString(),
    imbalancePricePerMWh: version.imbalancePricePerMWh?.toString() ?? null,
    imbalanceAmount: version.imbalanceAmount?.toString() ?? null,
    ledgerDigest: version.ledgerDigest,
    merkleRoot: version.merkleRoot,
    meterCount: version.meterCount,
    substitutedCount: version.substitutedCount,
    settledAt: version.settledAt.toISOString(),
  };
}

@Controller('groups')
export class GroupsController {
  constructor(
    @Inject(DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly groupPeriods: GroupPeriodsReadRepository,
    private readonly proofs: ProofService,
    private readonly access: ReaderAccess,
  ) {}

  /** The group's periods, newest first, a page at a time: public market data (status and versions). */
  @Get(':group/periods')
  async periods(@Param() params: Record<string, string>, @PageQuery(['string']) page: PageRequest): Promise<Page<GroupPeriodRow>> {
    const { group } = parseOrRefuse(groupParams, params, '(path)');
    return page.page(await this.groupPeriods.list(this.dataSource.manager, group, page.after, page.fetchLimit), (row) => [row.periodId]);
  }

  /** The group-period's detail (totals, prices, amounts, settlement errors): its BRP, MARKET_OPERATOR, TSO. */
  @Get(':group/periods/:periodId')
  @ReadSession()
  async period(@Param() params: Record<string, string>, @SessionAddress() reader: string) {
    const { group, periodId } = parseOrRefuse(periodParams, params, '(path)');
    this.access.requireGroupReader(reader, group);
    const row = await this.groupPeriods.find(this.dataSource.manager, group, periodId);
    if (!row) throw new DomainError('not-found', 'UNKNOWN_GROUP_PERIOD', 'periodId', `no period ${periodId} for group ${group}`);
    const versions = await this.groupPeriods.versions(this.dataSource.manager, group, periodId);
    return {
      groupId: group,
      periodId,
      periodLength: row.periodLength,
      status: row.status,
      confirmedVersion: row.confirmedVersion,
      correctionPending: row.correctionPending,
      settlement: { failures: row.failures, lastError: row.lastError, parkedAt: row.parkedAt?.toISOString() ?? null },
      latest: versions.length > 0 ? versionView(versions[versions.length - 1]) : null,
      versions: versions.map(versionView),
    };
  }

  /** A meter's value, salt and proof: the meter's MPO or supplier, MARKET_OPERATOR. */
  @Get(':group/periods/:periodId/proofs/:meterId')
  @ReadSession()
  async proof(@Param() params: Record<string, string>, @Query() query: Record<string, string>, @SessionAddress() reader: string) {
    const { group, periodId, meterId } = parseOrRefuse(proofParams, params, '(path)');
    const { version, direction } = parseOrRefuse(proofQuery, query, '(query)');
    await this.access.requireProofReader(reader, group, periodId, meterId);
    const reply = await this.proofs.proofFor({ groupId: group, periodId, meterId, version, direction });
    if (!reply.ok) throw new DomainError('not-found', 'NO_PROOF', 'meterId', reply.error);
    return reply;
  }
}
