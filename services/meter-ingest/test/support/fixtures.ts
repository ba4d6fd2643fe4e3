import { signJsonBody, type SignedFormat, type TypedDataSigner } from '@gridledger/metering';

export type TestSigner = TypedDataSigner & { readonly address: string };

/** A meter registration as the HTTP API takes it. */
export function meterJson(meterId: string, mpo: string, dso: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { meterId, direction: 'production', mpo, dso, groupId: 'BG-1', supplier: null, connectionLimitW: '40000', validFrom: '2026-03-29T00:00:00Z', ...extra };
}

export function intervalJson(meterId: string, periodId: string, energyWh: string, quality?: string): Record<string, unknown> {
  return { meterId, periodId, energyWh, ...(quality ? { quality } : {}) };
}

export async function signedBatch(wallet: TestSigner, body: Record<string, unknown>, format: SignedFormat = 'readings-json'): Promise<Record<string, unknown>> {
  return signJsonBody(wallet, format, { mpo: wallet.address, ...body });
}
