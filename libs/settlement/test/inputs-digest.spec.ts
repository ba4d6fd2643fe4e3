import { createHash } from 'node:crypto';
import { DomainError } from '@gridledger/domain';
import { InputsManifest, inputsDigest, inputsDigestLines } from '../src';

const h = (byte: string) => `0x${byte.repeat(32)}`;
const MPO_A = '0x00000000000000000000000000000000000000Aa';
const MPO_B = '0x00000000000000000000000000000000000000bB';
const manifest: InputsManifest = {
  groupId: 'BG-01',
  periodId: '2026-11-24T12:00:00Z',
  count: 3,
  digest: h('0A'),
  perMpo: [
    { mpo: MPO_B, count: 1, digest: h('0b'), batches: [{ batchId: h('02'), format: 'readings-json', count: 1, digest: h('02'), signature: '0xBEEF' }] },
    {
      mpo: MPO_A,
      count: 2,
      digest: h('0c'),
      batches: [
        { batchId: h('04'), format: 'mscons', count: 1, digest: h('04'), signature: '0x04' },
        { batchId: h('03'), format: 'mscons', count: 1, digest: h('03'), signature: '0x03' },
      ],
    },
  ],
};

describe('inputsDigest', () => {
  it('is SHA-256 over the documented canonical lines: MPOs by address, batches by id, hex in lower case', () => {
    const lines = [
      'gridledger:inputs-digest:1',
      'group|BG-01',
      'period|2026-11-24T12:00:00Z',
      `values|3|${h('0a')}`,
      `mpo|${MPO_A.toLowerCase()}|2|${h('0c')}`,
      `batch|${h('03')}|mscons|1|${h('03')}|0x03`,
      `batch|${h('04')}|mscons|1|${h('04')}|0x04`,
      `mpo|${MPO_B.toLowerCase()}|1|${h('0b')}`,
      `batch|${h('02')}|readings-json|1|${h('02')}|0xbeef`,
    ].join('\n');
    expect(inputsDigestLines(manifest)).toBe(`${lines}\n`);
    expect(inputsDigest(manifest)).toBe(`0x${createHash('sha256').update(`${lines}\n`).digest('hex')}`);
  });

  it('does not depend on the order the manifest lists MPOs and batches in, and changes with any signature', () => {
    const reordered: InputsManifest = { ...manifest, perMpo: [...manifest.perMpo].reverse().map((m) => ({ ...m, batches: [...m.batches].reverse() })) };
    expect(inputsDigest(reordered)).toBe(inputsDigest(manifest));
    const resigned: InputsManifest = { ...manifest, perMpo: [{ ...manifest.perMpo[0], batches: [{ ...manifest.perMpo[0].batches[0], signature: '0xbeee' }] }, manifest.perMpo[1]] };
    expect(inputsDigest(resigned)).not.toBe(inputsDigest(manifest));
  });

  it('refuses malformed fields, naming them', () => {
    const refused = (bad: InputsManifest): DomainError => {
      try {
        inputsDigest(bad);
      } catch (error) {
        return error as DomainError;
      }
      throw new Error('not refused');
    };
    expect(refused({ ...manifest, digest: '0x12' })).toMatchObject({ field: 'digest' });
    expect(refused({ ...manifest, groupId: 'A|B' })).toMatchObject({ field: 'groupId' });
    expect(refused({ ...manifest, perMpo: [manifest.perMpo[0], { ...manifest.perMpo[0] }] })).toMatchObject({ field: 'perMpo[1].mpo', reason: 'must appear once' });
    expect(refused({ ...manifest, count: -1 })).toMatchObject({ field: 'count' });
  });
});
