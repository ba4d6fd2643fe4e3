import type { RequestSigner } from '@gridledger/auth';

export type TestSigner = RequestSigner & { readonly address: string };

/** The grid area of the specs' meters. */
export const GRID_AREA = 'GA-1';

/** A meter registration as the HTTP API takes it. */
export function meterJson(meterId: string, mpo: string, dso: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { meterId, direction: 'production', mpo, dso, gridArea: GRID_AREA, groupId: 'BG-1', supplier: null, connectionLimitW: '40000', validFrom: '2026-03-29T00:00:00Z', ...extra };
}

export function intervalJson(meterId: string, periodId: string, energyWh: string, quality?: string): Record<string, unknown> {
  return { meterId, periodId, energyWh, ...(quality ? { quality } : {}) };
}

const signers = new WeakMap<object, TestSigner>();

/** A batch body naming its MPO; postJson signs it as a request by that MPO when it is sent. */
export function signedBatch(wallet: TestSigner, body: Record<string, unknown>): Record<string, unknown> {
  const batch = { mpo: wallet.address, ...body };
  signers.set(batch, wallet);
  return batch;
}

/** Who signs a body made by signedBatch (and any copy spread from it is unsigned). */
export function signerOf(body: unknown): TestSigner | undefined {
  return typeof body === 'object' && body !== null ? signers.get(body) : undefined;
}
