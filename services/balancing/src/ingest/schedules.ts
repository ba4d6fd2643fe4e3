import type { EntityManager } from 'typeorm';
import { PeriodLength } from '@gridledger/domain';
import { InputWindow, Schedule, assertPeriodWindow, assertScheduleCount, assertScheduleEnergy } from '@gridledger/settlement';
import { lockGroupPeriods, markChanged } from '../persistence/group-periods.repository';
import { otherSchedulesOf, upsertSchedule } from '../persistence/schedules.repository';

/**
 * Records a schedule between two groups (from the capacity market or the API). Both groups
 * get a period row, so a group with a schedule but no meters still settles; a changed
 * schedule after settlement opens a correction for both. A schedule beyond the domain limits
 * (libs/settlement `limits.ts`) or outside the input window (its period too old to correct or
 * too far ahead) is refused with a DomainError before anything is written: the API answers
 * 400, a stream handler dead-letters it.
 */
export async function recordSchedule(
  em: EntityManager,
  schedule: Schedule,
  sourceVersion: number,
  periodLength: PeriodLength,
  gateDeadlineAfterEndMs: number,
  window: InputWindow & { readonly nowMs: number },
): Promise<boolean> {
  assertScheduleEnergy(schedule.energyWh);
  assertPeriodWindow(schedule.periodId, periodLength, window.nowMs, window);
  const keys = [schedule.fromGroup, schedule.toGroup].map((groupId) => ({ groupId, periodId: schedule.periodId }));
  await lockGroupPeriods(em, keys, periodLength, gateDeadlineAfterEndMs);
  // Counted under the group-period row locks, so concurrent writers cannot both pass the limit.
  for (const key of keys) assertScheduleCount(await otherSchedulesOf(em, key.groupId, key.periodId, schedule.scheduleId), key.groupId);
  const changed = await upsertSchedule(em, schedule, sourceVersion);
  if (changed) for (const key of keys) await markChanged(em, key);
  return changed;
}
