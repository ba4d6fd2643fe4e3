import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

export interface PublishedExchange {
  readonly periodId: string;
  readonly fromGroup: string;
  readonly toGroup: string;
  readonly energyWh: string;
}

/** The exchanges capacity-market published (reads only). */
@Injectable()
export class ExchangesReadRepository {
  /** The exchanges of each period's latest allocation version, for a range of periods (the reconciler's view). */
  async latestOfPeriods(em: EntityManager, fromPeriod: string, toPeriod: string, limit: number): Promise<PublishedExchange[]> {
    return (await em.query(
      `SELECT e.period_id AS "periodId", e.from_group AS "fromGroup", e.to_group AS "toGroup", e.energy_wh::text AS "energyWh"
       FROM published_exchanges e
       JOIN (SELECT period_id, max(version) AS version FROM published_exchanges WHERE period_id >= $1 AND period_id < $2 GROUP BY period_id) latest
         ON latest.period_id = e.period_id AND latest.version = e.version
       ORDER BY e.period_id, e.from_group, e.to_group LIMIT $3`,
      [fromPeriod, toPeriod, limit],
    )) as PublishedExchange[];
  }
}
