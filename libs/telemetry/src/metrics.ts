import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { meter } from './telemetry';

/**
 * Thin helpers so services name metrics one way: `gridledger_<what>_<unit>`. Instruments are
 * cached per name, so calling these in a hot path is cheap.
 */
const counters = new Map<string, Counter>();
const histograms = new Map<string, Histogram>();

export function counter(name: string, description: string, unit?: string): Counter {
  let instrument = counters.get(name);
  if (!instrument) {
    instrument = meter().createCounter(name, { description, unit });
    counters.set(name, instrument);
  }
  return instrument;
}

/** Buckets for durations in seconds (the SDK's default buckets suit milliseconds). */
export const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export function histogram(name: string, description: string, unit?: string, boundaries?: number[]): Histogram {
  let instrument = histograms.get(name);
  if (!instrument) {
    const buckets = boundaries ?? (unit === 's' ? SECONDS_BUCKETS : undefined);
    instrument = meter().createHistogram(name, { description, unit, advice: buckets ? { explicitBucketBoundaries: buckets } : undefined });
    histograms.set(name, instrument);
  }
  return instrument;
}

/** Measures how long `fn` takes, in seconds, into the named histogram. */
export async function timed<T>(instrument: Histogram, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const started = process.hrtime.bigint();
  try {
    return await fn();
  } finally {
    instrument.record(Number(process.hrtime.bigint() - started) / 1e9, attributes);
  }
}
