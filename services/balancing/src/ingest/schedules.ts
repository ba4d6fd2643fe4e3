import type { EntityManager } from 'typeorm';
import { PeriodLength } from '@gridledger/domain';
import { Schedule } from '@gridledger/settlement';
import { lockGroupPeriods, markChanged } from '../persistence/group-periods.repository';
import { upsertSchedule } from '../persistence/schedules.repository';

/**
 * Records a schedule between two groups (from the capacity market or the API). Both groups
 * get a period row, so a group with a schedule but no meters still settles; a changed
 * schedule after settlement opens a correction for both.
 */
export async function recordSchedule(em: EntityManager, schedule: Schedule, sourceVersion: number, periodLength: PeriodLength, gateDeadlineAfterEndMs: number): Promise<boolean> {
  const keys = [schedule.fromGroup, schedule.toGroup].map((groupId) => ({ groupId, periodId: schedule.periodId }));
  await lockGroupPeriods(em, keys, periodLength, gateDeadlineAfterEndMs);
  const changed = await upsertSchedule(em, schedule, sourceVersion);
  if (changed) for (const key of keys) await markChanged(em, key);
  return changed;
}
