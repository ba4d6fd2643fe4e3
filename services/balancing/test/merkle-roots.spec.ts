import { loadKeccak256 } from '@gridledger/domain';
import { MEASURED, MeterRowsBuilder, NO_VALUE, SUBSTITUTED, measuredValuesDigest } from '@gridledger/settlement';
import { InlineMerkleRoots, answerJob, type HashRequest } from '../src/settlement/merkle-roots';

describe('merkle-roots: a worker job answers what the inline hashing answers', () => {
  it('root and measured digest, from the columns a job carries', async () => {
    const keccak = await loadKeccak256();
    const builder = new MeterRowsBuilder();
    for (let i = 0; i < 300; i++) builder.push(`DE${String(i).padStart(6, '0')}`, (i % 2) as 0 | 1, i % 7 !== 0, i % 11 === 0 ? NO_VALUE : i % 13 === 0 ? SUBSTITUTED : MEASURED, BigInt(i * 1_001));
    const rows = builder.build();
    const request: HashRequest = { measured: true, root: { periodStartSeconds: 1_774_742_400n, versionKey: new Uint8Array(32).fill(7) } };
    const inline = await new InlineMerkleRoots(keccak).hashesOf(rows, request);
    const job = { id: 1, meterIds: rows.meterIds, directions: rows.directions, expected: rows.expected, kinds: rows.kinds, energies: rows.energies, request };
    expect(answerJob(job, keccak)).toEqual({ id: 1, hashes: inline });
    expect(inline.measured).toEqual(measuredValuesDigest(rows));
    expect(inline.root).toMatch(/^0x[0-9a-f]{64}$/);
    // Only what was asked for.
    expect(await new InlineMerkleRoots(keccak).hashesOf(rows, { measured: true })).toEqual({ measured: inline.measured });
  });
});
