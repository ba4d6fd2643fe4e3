import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { directionSchema, groupIdString, meterPointIdString, periodIdString } from '@gridledger/events';
import { DATA_SOURCE } from '@gridledger/service-kit';
import { ProofService } from '../proofs/proof.service';
import { StoredVersion, versionsOf } from '../persistence/versions.repository';
import { parseOr400 } from './validation';

const groupParams = z.object({ group: groupIdString });
const periodParams = groupParams.extend({ periodId: periodIdString });
const proofParams = periodParams.extend({ meterId: meterPointIdString });
const proofQuery = z.object({ version: z.coerce.number().int().positive().optional(), direction: directionSchema.optional() });

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
    private readonly proofs: ProofService,
  ) {}

  @Get(':group/periods')
  async periods(@Param() params: Record<string, string>) {
    const { group } = parseOr400(groupParams, params, 'path');
    const rows: { period_id: string; period_length: string; status: string; latest_version: number; confirmed_version: number | null; dirty: boolean }[] = await this.dataSource.query(
      `SELECT period_id, period_length, status, latest_version, confirmed_version, dirty FROM group_periods WHERE group_id = $1 ORDER BY period_id DESC LIMIT 1000`,
      [group],
    );
    return {
      groupId: group,
      periods: rows.map((row) => ({
        periodId: row.period_id,
        periodLength: row.period_length,
        status: row.status,
        latestVersion: row.latest_version === 0 ? null : row.latest_version,
        confirmedVersion: row.confirmed_version,
        correctionPending: row.dirty,
      })),
    };
  }

  @Get(':group/periods/:periodId')
  async period(@Param() params: Record<string, string>) {
    const { group, periodId } = parseOr400(periodParams, params, 'path');
    const rows: { status: string; period_length: string; confirmed_version: number | null; dirty: boolean }[] = await this.dataSource.query(
      `SELECT status, period_length, confirmed_version, dirty FROM group_periods WHERE group_id = $1 AND period_id = $2`,
      [group, periodId],
    );
    if (rows.length === 0) throw new NotFoundException({ error: `no period ${periodId} for group ${group}` });
    const versions = await versionsOf(this.dataSource.manager, group, periodId);
    return {
      groupId: group,
      periodId,
      periodLength: rows[0].period_length,
      status: rows[0].status,
      confirmedVersion: rows[0].confirmed_version,
      correctionPending: rows[0].dirty,
      latest: versions.length > 0 ? versionView(versions[versions.length - 1]) : null,
      versions: versions.map(versionView),
    };
  }

  @Get(':group/periods/:periodId/proofs/:meterId')
  async proof(@Param() params: Record<string, string>, @Query() query: Record<string, string>) {
    const { group, periodId, meterId } = parseOr400(proofParams, params, 'path');
    const { version, direction } = parseOr400(proofQuery, query, 'query');
    const reply = await this.proofs.proofFor({ groupId: group, periodId, meterId, version, direction });
    if (!reply.ok) throw new NotFoundException({ error: reply.error });
    return reply;
  }
}
