import type { EntityManager } from 'typeorm';
import { ChainPeriodConfirmed, EventOf } from '@gridledger/events';
import { ReceivedEvent } from '@gridledger/messaging';

type ConfirmedEvent = ReceivedEvent<EventOf<typeof ChainPeriodConfirmed>>;

/**
 * A version confirmed on chain: the period is confirmed while that is its latest version. A
 * confirmation whose root differs from the settled one is recorded, never applied.
 */
export async function applyChainConfirmations(em: EntityManager, events: readonly ConfirmedEvent[]): Promise<void> {
  for (const event of events) {
    const { groupId, periodId, version, merkleRoot } = event.envelope.data;
    const rows: { merkle_root: string }[] = await em.query(`SELECT merkle_root FROM period_versions WHERE group_id = $1 AND period_id = $2 AND version = $3`, [groupId, periodId, version]);
    if (rows.length === 0 || rows[0].merkle_root !== merkleRoot) {
      const reason = rows.length === 0 ? `version ${version} was never settled` : `merkleRoot ${merkleRoot} differs from the settled root ${rows[0].merkle_root}`;
      await em.query(`INSERT INTO rejected_inputs (source, reference, reason) VALUES ($1, $2, $3)`, ['chain.period.confirmed', event.envelope.id, reason]);
      continue;
    }
    await em.query(
      `UPDATE group_periods SET confirmed_version = GREATEST(COALESCE(confirmed_version, 0), $3),
         status = CASE WHEN latest_version = $3 AND NOT dirty THEN 'confirmed' ELSE status END
       WHERE group_id = $1 AND period_id = $2`,
      [groupId, periodId, version],
    );
  }
}
