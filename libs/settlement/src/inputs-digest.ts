import { createHash } from 'node:crypto';
import { DomainError } from '@gridledger/domain';

/**
 * What meter-ingest accepted for one group and period, per MPO, as its manifest
 * (`meter.manifest.updated`) says: the count and digest of the values, and the MPO-signed
 * batches they came in. Only what the digest covers; the manifest's revision is not part of it.
 */
export interface InputsManifest {
  readonly groupId: string;
  readonly periodId: string;
  readonly count: number;
  /** 0x SHA-256 over the group-period's canonical value lines. */
  readonly digest: string;
  readonly perMpo: readonly MpoInputs[];
}

export interface MpoInputs {
  /** The MPO's address. */
  readonly mpo: string;
  readonly count: number;
  readonly digest: string;
  readonly batches: readonly BatchInputs[];
}

/** One MPO-signed batch: its signature is over (format, batchId) (EIP-712 MeterBatch). */
export interface BatchInputs {
  readonly batchId: string;
  readonly format: string;
  readonly count: number;
  readonly digest: string;
  readonly signature: string;
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const HEX = /^0x([0-9a-fA-F]{2})*$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const SAFE_TEXT = /^[^|\n]+$/;

/**
 * The `inputsDigest` a group-period version's commitment carries: 0x SHA-256 over canonical
 * lines (UTF-8, each ending "\n"), so anyone holding the manifest recomputes it exactly:
 *
 *   gridledger:inputs-digest:1
 *   group|<groupId>
 *   period|<periodId>
 *   values|<count>|<digest>
 *   mpo|<address>|<count>|<digest>                 one per MPO, by address
 *   batch|<batchId>|<format>|<count>|<digest>|<signature>   that MPO's batches, by batch id
 *
 * Hex is lower case. With it the BRP's commit vouches for exactly the MPO-signed inputs it
 * settled, and a verifier can check each MPO's signatures against the batches named here.
 */
export function inputsDigest(manifest: InputsManifest): string {
  return `0x${createHash('sha256').update(inputsDigestLines(manifest), 'utf8').digest('hex')}`;
}

/** The canonical text `inputsDigest` hashes (for a verifier that wants to show what differs). */
export function inputsDigestLines(manifest: InputsManifest): string {
  text('groupId', manifest.groupId);
  text('periodId', manifest.periodId);
  const lines = ['gridledger:inputs-digest:1', `group|${manifest.groupId}`, `period|${manifest.periodId}`, `values|${count('count', manifest.count)}|${hex32('digest', manifest.digest)}`];
  const mpos = [...manifest.perMpo].sort((a, b) => compare(a.mpo.toLowerCase(), b.mpo.toLowerCase()));
  mpos.forEach((entry, i) => {
    if (!ADDRESS.test(entry.mpo)) throw DomainError.invalid(`perMpo[${i}].mpo`, 'must be a 0x address (40 hex digits)');
    if (i > 0 && mpos[i - 1].mpo.toLowerCase() === entry.mpo.toLowerCase()) throw DomainError.invalid(`perMpo[${i}].mpo`, 'must appear once');
    lines.push(`mpo|${entry.mpo.toLowerCase()}|${count(`perMpo[${i}].count`, entry.count)}|${hex32(`perMpo[${i}].digest`, entry.digest)}`);
    const batches = [...entry.batches].sort((a, b) => compare(a.batchId, b.batchId));
    batches.forEach((batch, j) => {
      const field = `perMpo[${i}].batches[${j}]`;
      text(`${field}.batchId`, batch.batchId);
      if (!HEX.test(batch.signature)) throw DomainError.invalid(`${field}.signature`, 'must be 0x-prefixed hex');
      text(`${field}.format`, batch.format);
      lines.push(`batch|${batch.batchId.toLowerCase()}|${batch.format}|${count(`${field}.count`, batch.count)}|${hex32(`${field}.digest`, batch.digest)}|${batch.signature.toLowerCase()}`);
    });
  });
  return `${lines.join('\n')}\n`;
}

function text(field: string, value: string): void {
  if (!SAFE_TEXT.test(value)) throw DomainError.invalid(field, 'must be non-empty, without "|" or a line break');
}

function count(field: string, value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw DomainError.invalid(field, 'must be a non-negative integer');
  return String(value);
}

function hex32(field: string, value: string): string {
  if (!HEX32.test(value)) throw DomainError.invalid(field, 'must be 0x + 64 hex digits');
  return value.toLowerCase();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
