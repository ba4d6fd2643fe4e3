import { BadRequestException, Controller, Get, Param, Query } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { groupIdString, periodIdString } from '@gridledger/events';
import { InjectDataSource } from '@gridledger/service-kit';

/** What the bridge has done and what it refused: commits by group and period, and alarms. */
@Controller()
export class StatusController {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Get('commits/:groupId/:periodId')
  async commits(@Param('groupId') groupId: string, @Param('periodId') periodId: string) {
    const problems = [
      ...(groupIdString.safeParse(groupId).success ? [] : ['groupId: must be a balancing group id']),
      ...(periodIdString.safeParse(periodId).success ? [] : ['periodId: must be a period start like 2026-03-29T01:00:00Z']),
    ];
    if (problems.length > 0) throw new BadRequestException({ error: problems.join('; ') });
    const rows = (await this.db.query(
      `SELECT version, status, merkle_root, tx_hash, block_number, block_hash, attempts, last_error, confirmed_at
       FROM period_commit WHERE group_id = $1 AND period_id = $2 ORDER BY version`,
      [groupId, periodId],
    )) as Record<string, unknown>[];
    return {
      groupId,
      periodId,
      versions: rows.map((row) => ({
        version: row.version,
        status: row.status,
        merkleRoot: row.merkle_root,
        txHash: row.tx_hash,
        blockNumber: row.block_number === null ? null : Number(row.block_number),
        blockHash: row.block_hash,
        attempts: row.attempts,
        lastError: row.last_error,
        confirmedAt: row.confirmed_at,
      })),
    };
  }

  @Get('alarms')
  async alarms(@Query('limit') limit?: string) {
    const count = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new BadRequestException({ error: 'limit: must be an integer from 1 to 1000' });
    const rows = (await this.db.query(
      `SELECT kind, group_id, period_id, version, detail, raised_at FROM chain_alarm ORDER BY id DESC LIMIT $1`,
      [count],
    )) as { kind: string; group_id: string | null; period_id: string | null; version: number | null; detail: string; raised_at: Date }[];
    return { alarms: rows.map((r) => ({ kind: r.kind, groupId: r.group_id, periodId: r.period_id, version: r.version, detail: r.detail, raisedAt: r.raised_at })) };
  }
}
