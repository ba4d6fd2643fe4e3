import type { AcceptedInterval } from '@gridledger/metering';
import { COPY_CHUNK_BYTES, intervalCopyChunks } from '../src/intake/interval-store';

/** Reads COPY BINARY data back: one array of fields (Buffers) per row. */
function rowsOf(data: Buffer): Buffer[][] {
  expect(data.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  let at = 19;
  const rows: Buffer[][] = [];
  for (;;) {
    const count = data.readInt16BE(at);
    at += 2;
    if (count === -1) break;
    const fields: Buffer[] = [];
    for (let f = 0; f < count; f += 1) {
      const length = data.readInt32BE(at);
      fields.push(data.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    rows.push(fields);
  }
  expect(at).toBe(data.length);
  return rows;
}

const value = (i: number, energyWh: bigint, extra: Partial<AcceptedInterval> = {}): AcceptedInterval => ({
  index: i,
  meterId: `DE-MELO-${String(i).padStart(8, '0')}`,
  direction: 'consumption',
  groupId: 'BG-01',
  periodId: '2026-03-29T01:00:00Z',
  periodStartMs: Date.parse('2026-03-29T01:00:00Z'),
  energyWh,
  quality: 'measured',
  ...extra,
});

describe('intervalCopyChunks (COPY BINARY of accepted values)', () => {
  it('writes every field as Postgres reads it: text, microseconds since 2000, smallint, int8', () => {
    const values = [
      value(0, 0n),
      value(1, 4_294_967_295n, { quality: 'estimated', direction: 'production', groupId: 'BG-Ä' }),
      value(2, 4_294_967_296n, { periodId: '2026-03-29T01:15:00Z', periodStartMs: Date.parse('2026-03-29T01:15:00Z') }),
      value(3, 1_000_000_000_000_000_000n),
    ];
    const rows = rowsOf(Buffer.concat([...intervalCopyChunks(values, 15, '9007199254740993')]));
    expect(rows).toHaveLength(4);
    rows.forEach((fields, i) => {
      const v = values[i];
      expect(fields).toHaveLength(8);
      expect(fields[0].toString('utf8')).toBe(v.meterId);
      expect(fields[1].readBigInt64BE(0)).toBe(BigInt(v.periodStartMs - Date.parse('2000-01-01T00:00:00Z')) * 1000n);
      expect(fields[2].readInt16BE(0)).toBe(15);
      expect(fields[3].readBigInt64BE(0)).toBe(v.energyWh);
      expect(fields[4].toString('utf8')).toBe(v.quality);
      expect(fields[5].toString('utf8')).toBe(v.groupId);
      expect(fields[6].toString('utf8')).toBe(v.direction);
      expect(fields[7].readBigInt64BE(0)).toBe(9_007_199_254_740_993n);
    });
  });

  it('splits a large batch into chunks of about COPY_CHUNK_BYTES that join into one stream', () => {
    const values = Array.from({ length: 40_000 }, (_, i) => value(i, BigInt(i * 7)));
    const chunks = [...intervalCopyChunks(values, 15, '1')];
    expect(chunks.length).toBeGreaterThan(10);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThan(COPY_CHUNK_BYTES + 1024);
    const rows = rowsOf(Buffer.concat(chunks));
    expect(rows.map((fields) => fields[3].readBigInt64BE(0))).toEqual(values.map((v) => v.energyWh));
  });
});
