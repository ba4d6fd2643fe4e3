import { EMPTY_VALUES_DIGEST, ValuesDigest, sameValues } from '@gridledger/domain';

/**
 * What balancing got against what meter-ingest says it accepted, for one group-period
 * (docs/integrity.md). `manifest` is the latest `meter.manifest.updated` (null when none
 * arrived: meter-ingest accepted nothing for it, or the manifest is still on its way);
 * `received` is balancing's own count and digest over the measured values it holds (not
 * substitutes), computed the same way (`valuesDigest` in @gridledger/domain).
 */
export interface InputsCheck {
  readonly manifest: (ValuesDigest & { readonly revision: number }) | null;
  readonly received: ValuesDigest;
}

export type InputsVerdict =
  | { readonly kind: 'match' }
  | {
      readonly kind: 'mismatch';
      readonly expected: ValuesDigest;
      readonly received: ValuesDigest;
      /** Values meter-ingest accepted that balancing lacks, when the counts say so (0 when only the digests differ or balancing has more). */
      readonly missing: number;
    };

/** No manifest means meter-ingest accepted nothing: the empty manifest. */
export const EMPTY_MANIFEST: ValuesDigest = { count: 0, digest: EMPTY_VALUES_DIGEST };

export function checkInputs(check: InputsCheck): InputsVerdict {
  const expected = check.manifest ?? EMPTY_MANIFEST;
  if (sameValues(expected, check.received)) return { kind: 'match' };
  return { kind: 'mismatch', expected: { count: expected.count, digest: expected.digest }, received: check.received, missing: Math.max(0, expected.count - check.received.count) };
}

/**
 * Why a version holds substitutes: `not-received-by-meter-ingest` when balancing had every
 * value meter-ingest accepted (the manifest matched), so the missing meters never reached
 * the platform; `deadline` when the gate closed without a manifest check (manifests not
 * required by the configuration).
 */
export type SubstitutionReason = 'not-received-by-meter-ingest' | 'deadline';
