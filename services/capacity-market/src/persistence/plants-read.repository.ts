import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { CursorKey } from '@gridledger/service-kit';

export interface PlantView {
  readonly plantId: string;
  readonly kind: string;
  readonly meterId: string;
  readonly capacityW: string;
  readonly operator: string;
  readonly groupId: string;
  readonly feePerMWPeriodCents: string;
  readonly issuedW: string;
}

export interface HoldingView {
  readonly holderId: string;
  readonly sharesW: string;
  readonly validFrom: Date;
}

const PLANT_VIEW_COLUMNS = `plant_id AS "plantId", kind, meter_id AS "meterId", capacity_w::text AS "capacityW", operator, group_id AS "groupId",
  fee_per_mw_period_cents::text AS "feePerMWPeriodCents", issued_w::text AS "issuedW"`;

/** Plants and their current holdings as the API shows them; lists in byte order of their ids, after a cursor. */
@Injectable()
export class PlantsReadRepository {
  list(em: EntityManager, after: CursorKey | null, limit: number): Promise<PlantView[]> {
    return em.query(
      `SELECT ${PLANT_VIEW_COLUMNS} FROM plants WHERE $1::text IS NULL OR plant_id COLLATE "C" > $1 ORDER BY plant_id COLLATE "C" LIMIT $2`,
      [after?.[0] ?? null, limit],
    );
  }

  async find(em: EntityManager, plantId: string): Promise<PlantView | undefined> {
    const [plant] = (await em.query(`SELECT ${PLANT_VIEW_COLUMNS} FROM plants WHERE plant_id = $1`, [plantId])) as PlantView[];
    return plant;
  }

  holdings(em: EntityManager, plantId: string, after: CursorKey | null, limit: number): Promise<HoldingView[]> {
    return em.query(
      `SELECT holder_id AS "holderId", shares_w::text AS "sharesW", valid_from AS "validFrom" FROM holdings
       WHERE plant_id = $1 AND valid_to IS NULL AND ($2::text IS NULL OR holder_id COLLATE "C" > $2)
       ORDER BY holder_id COLLATE "C" LIMIT $3`,
      [plantId, after?.[0] ?? null, limit],
    );
  }
}
