import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import { Contract, JsonRpcProvider, Wallet } from 'ethers';
import { SettlementCascadeArtifact, deployCascade, groupKey } from '@gridledger/contracts';
import { METER_LEAF_TYPES, formatInstant, leafSalt, leafSaltVersionKey, loadKeccak256, type MeterLeafValues } from '@gridledger/domain';
import { authEnvironment, bodySha256, signRequest } from '@gridledger/auth';
import { inputsDigest } from '@gridledger/settlement';
import { AnvilInstance, anvilDevKey, startAnvil } from '@gridledger/testing';
import { runCli } from '../src/cli/main';
import type { CliIo } from '../src/cli/exit-codes';
import type { ManifestEvidence as Manifest } from '../src/verify/period-verification';

jest.setTimeout(120_000);

const GROUP = 'GRP-VERIFY';

/** `gridledger verify-period` against a real anvil with the cascade and a committed, salted period. */
describe('gridledger verify-period', () => {
  let anvil: AnvilInstance;
  let cascadeAddress: string;
  let periodId: string;
  let leaves: MeterLeafValues[];
  let manifest: Manifest;
  const dir = mkdtempSync(join(tmpdir(), 'verify-period-'));
  const file = (name: string, content: unknown): string => {
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(content));
    return path;
  };

  const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const io: CliIo = { out: (text) => (out += text), err: (text) => (err += text), env: {}, errIsTTY: false };
    const code = await runCli(['verify-period', '--group', GROUP, '--period', periodId, '--rpc', anvil.url, '--cascade', cascadeAddress, ...args], io);
    return { code, out, err };
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    const provider = new JsonRpcProvider(anvil.url, undefined, { staticNetwork: true, cacheTimeout: -1 });
    const now = BigInt((await provider.getBlock('latest'))?.timestamp ?? 0);
    const start = now - (now % 900n) - 1800n;
    periodId = formatInstant(Number(start) * 1000);
    const brp = new Wallet(anvilDevKey(1), provider);
    await deployCascade(new Wallet(anvilDevKey(0), provider), { groups: [GROUP], grants: [{ role: 'BRP', groupId: GROUP, account: brp.address }], openingPeriod: start - 9000n }).then((d) => (cascadeAddress = d.cascadeAddress));

    // Three salted leaves, as balancing builds them, and meter-ingest's manifest with one MPO-signed batch.
    const keccak = await loadKeccak256();
    const versionKey = leafSaltVersionKey(randomBytes(32), GROUP, start, 1);
    const meters: [string, 0 | 1, bigint][] = [['M-1', 1, 5000n], ['M-2', 0, 1200n], ['M-3', 0, 800n]];
    leaves = meters.map(([meterId, direction, energy]) => [meterId, String(start), direction, String(energy), `0x${leafSalt(versionKey, meterId, direction, keccak).toString('hex')}`]);
    // The batch as meter-ingest takes it: a request signed by the MPO, nonce = body digest = batch id.
    const mpo = Wallet.createRandom();
    const body = JSON.stringify({ mpo: mpo.address, intervals: meters.map(([meterId, , energy]) => ({ meterId, periodId, energyWh: String(energy) })) });
    const batchId = bodySha256(body);
    const { chainId } = await provider.getNetwork();
    const signed = await signRequest(mpo, authEnvironment(chainId, cascadeAddress), { method: 'POST', path: '/readings', body }, { nonce: batchId });
    const request = { method: 'POST', path: '/readings', expiry: signed['x-gl-expiry'], chainId: chainId.toString(), verifyingContract: cascadeAddress };
    const digest = `0x${randomBytes(32).toString('hex')}`;
    manifest = {
      groupId: GROUP,
      periodId,
      count: 3,
      digest,
      perMpo: [{ mpo: mpo.address, count: 3, digest, batches: [{ batchId, format: 'readings-json', count: 3, digest, signature: signed['x-gl-signature'], request }] }],
    };
    const root = StandardMerkleTree.of(leaves, [...METER_LEAF_TYPES]).root;
    const cascade = new Contract(cascadeAddress, SettlementCascadeArtifact.abi, brp);
    await (await cascade.getFunction('commitPeriod')(groupKey(GROUP), start, 1, [5000n, 2000n, 0n, 3000n], root, 3, inputsDigest(manifest))).wait();
    provider.destroy();
  });
  afterAll(() => anvil?.stop());

  it('recomputes root, totals and inputsDigest, checks the MPO signature, and exits 0 when all agree with the chain', async () => {
    const result = await run('--leaves', file('leaves.json', leaves), '--manifest', file('manifest.json', { data: manifest }));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/ok {3}root: recomputed 0x[0-9a-f]{64} from 3 leaves/);
    expect(result.out).toContain('ok   inputsDigest: recomputed');
    expect(result.out).toMatch(/ok {3}manifest.signature: batch 0x[0-9a-f]{64} \(readings-json, POST \/readings on chain \d+\) signed by/);
    expect(result.out).toContain(`verified: ${GROUP} ${periodId} v1`);
  });

  it('exits 1 naming the first difference: a leaf with other energy changes the root', async () => {
    const tampered = leaves.map((leaf, i) => (i === 1 ? ([leaf[0], leaf[1], leaf[2], '1201', leaf[4]] as MeterLeafValues) : leaf));
    const result = await run('--leaves', file('tampered.json', tampered), '--json');
    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as { ok: boolean; firstDifference: { name: string; detail: string } };
    expect(report.ok).toBe(false);
    expect(report.firstDifference.name).toBe('root');
    expect(result.err).toContain(`error: ${GROUP} ${periodId} v1 differs from the chain: root: recomputed`);
  });

  it('exits 1 when a batch signature is not the MPO’s, and when the manifest does not give the committed inputsDigest', async () => {
    const forged: Manifest = { ...manifest, perMpo: [{ ...manifest.perMpo[0], mpo: Wallet.createRandom().address }] };
    const signature = await run('--manifest', file('forged.json', forged));
    expect(signature.code).toBe(1);
    expect(signature.err).toContain('manifest.signature: batch');
    expect(signature.err).toContain('the signature recovers');
    // What the request covered is part of the signature: another path (or environment) recovers someone else.
    const batch = manifest.perMpo[0].batches[0];
    const moved: Manifest = { ...manifest, perMpo: [{ ...manifest.perMpo[0], batches: [{ ...batch, request: { ...batch.request!, path: '/mscons' } }] }] };
    expect((await run('--manifest', file('moved.json', moved))).err).toContain('the signature recovers');
    const bare: Manifest = { ...manifest, perMpo: [{ ...manifest.perMpo[0], batches: [{ ...batch, request: undefined }] }] };
    const unchecked = await run('--manifest', file('bare.json', bare));
    expect(unchecked.code).toBe(1);
    expect(unchecked.err).toContain('does not carry the signed request');
    const recounted: Manifest = { ...manifest, count: 4, perMpo: [{ ...manifest.perMpo[0], count: 4, batches: [{ ...manifest.perMpo[0].batches[0], count: 4 }] }] };
    const digest = await run('--manifest', file('recounted.json', recounted));
    expect(digest.code).toBe(1);
    expect(digest.err).toContain('inputsDigest: recomputed');
  });

  it('is a usage error (exit 2) without a cascade address or with a malformed period', async () => {
    let err = '';
    const io: CliIo = { out: () => undefined, err: (text) => (err += text), env: {}, errIsTTY: false };
    expect(await runCli(['verify-period', '--group', GROUP, '--period', periodId], io)).toBe(2);
    expect(err).toContain('--cascade (or CHAIN_CASCADE_ADDRESS)');
    expect(await runCli(['verify-period', '--group', GROUP, '--period', '2026-03-29T01:07:00Z', '--cascade', `0x${'11'.repeat(20)}`], io)).toBe(2);
  });
});
