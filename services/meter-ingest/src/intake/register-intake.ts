import type { PoolClient } from 'pg';
import type { IntervalValue, RegistryVersion, Rejection } from '@gridledger/metering';
import { IntakeRefusal, type VerifiedSubmission } from './intake.types';

export interface PreparedRegisterReadings {
  readonly intervals: IntervalValue[];
  readonly rejections: Rejection[];
  readonly notes: string[];
}

/** Cumulative register readings become period values through the register split. */
export async function prepareRegisterReadings(
  _client: PoolClient,
  _submission: VerifiedSubmission,
  _registry: ReadonlyMap<string, readonly RegistryVersion[]>,
  _nowMs: number,
  _batchSeq: string,
): Promise<PreparedRegisterReadings> {
  throw new IntakeRefusal(400, 'REGISTER_READINGS_UNAVAILABLE', 'readings', 'register readings are not accepted yet; submit interval values');
}
