import type { Direction } from '@gridledger/domain';
import { MeterIntervalsMeasured, measuredSeriesOf, measuredValuesOf, type EventOf } from '@gridledger/events';

export interface TestMeasuredInterval {
  readonly meterId: string;
  readonly direction: Direction;
  readonly periodId: string;
  readonly energyWh: bigint;
}

export interface TestIntervalsBatch {
  /** Names the batch: the same label always gives the same batch id, so resends are identical. */
  readonly label: string;
  readonly mpo: string;
  readonly groupId: string;
  readonly intervals: readonly TestMeasuredInterval[];
  readonly receivedAt: string;
  readonly occurredAt: Date | string;
}

/** A bytes32 batch id from a label: its UTF-8 bytes, padded with '.' and cut to 32. */
export function batchIdFromLabel(label: string): string {
  return `0x${Buffer.from(label.padEnd(32, '.')).subarray(0, 32).toString('hex')}`;
}

/** A meter-ingest batch of measured quarter-hour values, as the services downstream receive it. */
export function measuredIntervalsBatch(batch: TestIntervalsBatch): EventOf<typeof MeterIntervalsMeasured> {
  const batchId = batchIdFromLabel(batch.label);
  return MeterIntervalsMeasured.create({
    data: {
      batchId,
      mpo: batch.mpo,
      groupId: batch.groupId,
      periodLength: 'PT15M',
      receivedAt: batch.receivedAt,
      series: measuredSeriesOf(batch.intervals.map(({ meterId, direction, periodId, energyWh }) => ({ meterId, direction, periodId, energyWh: energyWh.toString(), quality: 'measured' as const }))),
    },
    idParts: [batchId, batch.groupId],
    occurredAt: batch.occurredAt,
  });
}

/**
 * The same event as schema version 1 wrote it (an object per value in `intervals`), as
 * streams and outboxes from before version 2 hold it: consumers must still read it.
 */
export function asMeasuredVersion1(event: EventOf<typeof MeterIntervalsMeasured>): Record<string, unknown> {
  const { series: _series, ...header } = event.data;
  const intervals = [...measuredValuesOf(event.data)].map(({ meterId, direction, periodId, energyWh, quality }) => ({ meterId, direction, periodId, energyWh, quality }));
  return { ...event, schemaVersion: 1, data: { ...header, intervals } };
}
