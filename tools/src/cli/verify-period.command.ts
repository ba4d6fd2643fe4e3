import { readFileSync } from 'node:fs';
import { Contract, JsonRpcProvider, getAddress } from 'ethers';
import { InvalidArgumentError, type Command } from 'commander';
import { SettlementCascadeArtifact, groupKey, periodStartSeconds } from '@gridledger/contracts';
import { parsePeriodId, type MeterLeafValues } from '@gridledger/domain';
import { ChainVersion, Check, OwnMeter, PeriodEvidence, verifyPeriod } from '../verify/period-verification';
import { CliFailure, CliUsageError, messageOf, type CliIo } from './exit-codes';

interface VerifyOptions {
  group: string;
  period: string;
  version?: number;
  rpc?: string;
  cascade?: string;
  leaves?: string;
  meters?: string;
  manifest?: string;
  bridge?: string;
  json?: boolean;
}

/**
 * `verify-period --group G --period P`: anyone's check of a group-period's receipt. The public
 * part comes from the chain (the commitment: root, totals, meter count, inputsDigest, its tx);
 * what the caller may read comes as files or from chain-bridge: every leaf (a BRP's export,
 * --leaves), its own meters' records (--meters, whose salted leaves and proofs are fetched
 * from chain-bridge with GRIDLEDGER_AUTHORIZATION), meter-ingest's manifest (--manifest).
 * It recomputes root, totals and inputsDigest, checks the MPO signatures, compares with the
 * chain and exits 1 naming the first difference.
 */
export function registerVerifyPeriod(program: Command, io: CliIo): void {
  program
    .command('verify-period')
    .description("recompute a group-period's root, totals and inputsDigest from what you may read and compare them with the chain")
    .requiredOption('--group <groupId>', 'the balancing group')
    .requiredOption('--period <periodId>', 'the period, by its start (2026-03-29T01:00:00Z)')
    .option('--version <n>', 'the version (default: the latest on chain)', positiveInteger)
    .option('--rpc <url>', 'the chain (or CHAIN_RPC_URL; default http://127.0.0.1:8545)')
    .option('--cascade <address>', 'the SettlementCascade (or CHAIN_CASCADE_ADDRESS)')
    .option('--leaves <file>', 'every leaf of the version, JSON [[meterId, periodStart, direction, energyWh, salt], …]: recomputes the root and totals')
    .option('--meters <file>', 'your own meters, JSON [{ meterId, direction, energyWh }, …]: their leaves and proofs are fetched from chain-bridge and checked')
    .option('--manifest <file>', "meter-ingest's manifest of the group-period (JSON): MPO signatures and inputsDigest")
    .option('--bridge <url>', 'chain-bridge for --meters (or CHAIN_BRIDGE_URL; default http://127.0.0.1:3004)')
    .option('--json', 'print the checks as one JSON object')
    .action(async (options: VerifyOptions) => {
      const evidence = await gatherEvidence(options, io);
      const checks = verifyPeriod(evidence);
      const failed = checks.find((c) => !c.ok);
      if (options.json) io.out(`${JSON.stringify({ groupId: evidence.groupId, periodId: evidence.periodId, version: evidence.chain.version, ok: !failed, firstDifference: failed ?? null, checks })}\n`);
      else for (const c of checks) io.out(`${c.ok ? 'ok  ' : 'DIFF'} ${c.name}: ${c.detail}\n`);
      if (failed) throw new CliFailure(`${evidence.groupId} ${evidence.periodId} v${evidence.chain.version} differs from the chain: ${failed.name}: ${failed.detail}`);
      if (!options.json) io.out(`verified: ${evidence.groupId} ${evidence.periodId} v${evidence.chain.version}, ${checks.length} checks\n`);
    });
}

/** What a verification reads: the chain, and what the caller may read (files already parsed). */
export interface VerificationRequest {
  readonly groupId: string;
  readonly periodId: string;
  readonly version?: number;
  readonly rpcUrl: string;
  readonly cascadeAddress: string;
  readonly bridgeUrl: string;
  readonly authorization?: string;
  readonly leaves?: readonly MeterLeafValues[];
  readonly ownMeters?: readonly Omit<OwnMeter, 'served'>[];
  readonly manifest?: PeriodEvidence['manifest'];
}

/** The evidence gathered (chain, served proofs) and every check on it: the command's work without the printing (the demo uses it). */
export async function verifyPeriodFrom(request: VerificationRequest): Promise<{ evidence: PeriodEvidence; checks: Check[] }> {
  const start = periodStartSeconds(request.periodId);
  const chain = await chainVersion(request.rpcUrl, getAddress(request.cascadeAddress), request.groupId, start, request.version);
  const ownMeters = request.ownMeters
    ? await Promise.all(request.ownMeters.map((record) => servedProof(request.bridgeUrl, request.groupId, request.periodId, chain.version, record, request.authorization)))
    : undefined;
  const evidence: PeriodEvidence = { groupId: request.groupId, periodId: request.periodId, periodStartSeconds: start, chain, leaves: request.leaves, ownMeters, manifest: request.manifest };
  return { evidence, checks: verifyPeriod(evidence) };
}

async function gatherEvidence(options: VerifyOptions, io: CliIo): Promise<PeriodEvidence> {
  try {
    parsePeriodId(options.period, 'PT15M');
  } catch (error) {
    throw new CliUsageError(`--period: ${messageOf(error)}`);
  }
  const cascadeAddress = options.cascade ?? io.env.CHAIN_CASCADE_ADDRESS;
  if (!cascadeAddress || !/^0x[0-9a-fA-F]{40}$/.test(cascadeAddress)) throw new CliUsageError('--cascade (or CHAIN_CASCADE_ADDRESS) must be the SettlementCascade address');
  const leaves = options.leaves ? leavesOf(readJson(options.leaves, '--leaves')) : undefined;
  const records = options.meters ? meterRecordsOf(readJson(options.meters, '--meters')) : undefined;
  const manifest = options.manifest ? manifestOf(readJson(options.manifest, '--manifest')) : undefined;
  const { evidence } = await verifyPeriodFrom({
    groupId: options.group,
    periodId: options.period,
    version: options.version,
    rpcUrl: options.rpc ?? io.env.CHAIN_RPC_URL ?? 'http://127.0.0.1:8545',
    cascadeAddress,
    bridgeUrl: options.bridge ?? io.env.CHAIN_BRIDGE_URL ?? 'http://127.0.0.1:3004',
    authorization: io.env.GRIDLEDGER_AUTHORIZATION,
    leaves,
    ownMeters: records,
    manifest,
  });
  return evidence;
}

/** The version's commitment as the chain holds it, and its PeriodCommitted event (meter count, inputsDigest). */
async function chainVersion(rpcUrl: string, address: string, groupId: string, start: bigint, wanted: number | undefined): Promise<ChainVersion> {
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const cascade = new Contract(address, SettlementCascadeArtifact.abi, provider);
    const group = groupKey(groupId);
    const version = wanted ?? Number(await cascade.getFunction('latestVersion')(group, start));
    if (version === 0) throw new CliFailure(`the chain holds no commitment of ${groupId} for period start ${start}`);
    const events = await cascade.queryFilter(cascade.filters.PeriodCommitted(group, start), 0, 'latest');
    const event = events.reverse().find((e) => 'args' in e && Number(e.args.version) === version);
    if (!event || !('args' in event)) throw new CliFailure(`version ${version} of ${groupId} for period start ${start} is not on chain`);
    const totals = event.args.totals as unknown as bigint[];
    return {
      version,
      merkleRoot: String(event.args.merkleRoot),
      totals: { feedInWh: totals[0], feedOutWh: totals[1], scheduleNetWh: totals[2], imbalanceWh: totals[3] },
      meterCount: BigInt(event.args.meterCount as bigint),
      inputsDigest: String(event.args.inputsDigest),
      txHash: event.transactionHash,
      blockNumber: event.blockNumber,
    };
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(`cannot read the cascade at ${address} on ${rpcUrl}: ${messageOf(error)}`);
  } finally {
    provider.destroy();
  }
}

/** chain-bridge's leaf (with salt) and proof for one of the caller's meters; null when it has none. */
async function servedProof(bridge: string, groupId: string, periodId: string, version: number, record: Omit<OwnMeter, 'served'>, authorization: string | undefined): Promise<OwnMeter> {
  const url = `${bridge}/proofs/${encodeURIComponent(groupId)}/${periodId}/${encodeURIComponent(record.meterId)}?version=${version}`;
  let response: Response;
  try {
    response = await fetch(url, { headers: authorization ? { authorization } : {} });
  } catch (error) {
    throw new CliFailure(`chain-bridge at ${bridge} did not answer (${messageOf(error)}); set --bridge or CHAIN_BRIDGE_URL`);
  }
  if (response.status === 404) return { ...record, served: null };
  if (!response.ok) throw new CliFailure(`chain-bridge refused the proof of ${record.meterId} (${response.status})`, await response.json().catch(() => undefined));
  const body = (await response.json()) as { leaf: MeterLeafValues; proof: string[] };
  return { ...record, served: { leaf: body.leaf, proof: body.proof } };
}

function readJson(path: string, flag: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (error) {
    throw new CliUsageError(`${flag} ${path}: ${messageOf(error)}`);
  }
}

function leavesOf(raw: unknown): MeterLeafValues[] {
  const list = Array.isArray(raw) ? raw : (raw as { leaves?: unknown } | null)?.leaves;
  if (!Array.isArray(list)) throw new CliUsageError('--leaves: must be a JSON array of leaves (or { "leaves": [...] })');
  return list.map((leaf: unknown, i) => {
    if (!Array.isArray(leaf) || leaf.length !== 5 || typeof leaf[0] !== 'string' || (leaf[2] !== 0 && leaf[2] !== 1) || !/^0x[0-9a-fA-F]{64}$/.test(String(leaf[4]))) {
      throw new CliUsageError(`--leaves[${i}]: must be [meterId, periodStart, direction 0|1, energyWh, salt (bytes32)]`);
    }
    return [leaf[0], String(leaf[1]), leaf[2], String(leaf[3]), String(leaf[4])] as MeterLeafValues;
  });
}

function meterRecordsOf(raw: unknown): Omit<OwnMeter, 'served'>[] {
  if (!Array.isArray(raw)) throw new CliUsageError('--meters: must be a JSON array of { meterId, direction, energyWh }');
  return raw.map((entry: { meterId?: unknown; direction?: unknown; energyWh?: unknown }, i) => {
    const direction = entry.direction === 'production' || entry.direction === 1 ? 1 : entry.direction === 'consumption' || entry.direction === 0 ? 0 : undefined;
    if (typeof entry.meterId !== 'string' || direction === undefined || !/^\d+$/.test(String(entry.energyWh))) {
      throw new CliUsageError(`--meters[${i}]: must be { meterId, direction: production|consumption, energyWh }`);
    }
    return { meterId: entry.meterId, direction, energyWh: BigInt(String(entry.energyWh)) };
  });
}

function manifestOf(raw: unknown): PeriodEvidence['manifest'] {
  const data = (raw as { data?: unknown } | null)?.data ?? raw;
  const manifest = data as NonNullable<PeriodEvidence['manifest']>;
  if (!manifest || typeof manifest.groupId !== 'string' || !Array.isArray(manifest.perMpo)) throw new CliUsageError('--manifest: must be a meter.manifest.updated data object (or its envelope)');
  return manifest;
}

function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new InvalidArgumentError('must be a positive whole number');
  return Number(value);
}

export type { Check };
