import { Controller, Get, Param } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { groupIdString, periodIdString } from '@gridledger/events';
import { MARKET } from '@gridledger/auth';
import { InjectDataSource, PageQuery, PageRequest, ReadSession, parseOrRefuse, type Page } from '@gridledger/service-kit';
import { StatusReadRepository, type AlarmView } from '../persistence/status-read.repository';

export const commitParams = z.object({ groupId: groupIdString, periodId: periodIdString });

/** What a committer has done: commits by group and period. */
@Controller()
export class StatusController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly status: StatusReadRepository,
  ) {}

  @Get('commits/:groupId/:periodId')
  async commits(@Param() params: Record<string, string>) {
    const { groupId, periodId } = parseOrRefuse(commitParams, params, '(path)');
    return { groupId, periodId, versions: await this.status.commitVersions(this.db.manager, groupId, periodId) };
  }
}

/** What a committer or a finalizer refused or found in conflict: the market operator's to read. */
@Controller()
export class AlarmsController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly status: StatusReadRepository,
  ) {}

  /** Alarms, newest first, a page at a time. */
  @Get('alarms')
  @ReadSession({ anyOf: [{ role: 'MARKET_OPERATOR', scope: MARKET }] })
  async alarms(@PageQuery(['number']) page: PageRequest): Promise<Page<AlarmView>> {
    return page.page(await this.status.alarms(this.db.manager, page.after, page.fetchLimit), (alarm) => [alarm.id]);
  }
}
