import { StandardMerkleTree } from '@openzeppelin/merkle-tree';
import type { EventLog } from 'ethers';
import { MARKET_SCOPE, ROLE_NAMES, ROLE_SCOPE, authEnvironment, roleOfId, scopeKey, signSession, type AuthEnvironment, type Role } from '@gridledger/auth';
import { METER_LEAF_TYPES, formatMinorUnits, parsePeriodId, whToKwh } from '@gridledger/domain';
import { groupKey } from '@gridledger/contracts';
import { verifyPeriodFrom } from '../cli/verify-period.command';
import { DEMO_GRID_AREA, type DemoChain } from './chain-setup';
import type { DemoServices } from './demo-services';
import { callJson } from './http';
import type { Population } from './population';
import { formatSigners, type SignerActivity, type SignerLog } from './signer-log';
import type { MarketObservations } from './stream-observer';

/**
 * What the market day produced, read back from the services' APIs and the chain (not from
 * the demo's own bookkeeping), with the invariants checked on it.
 */
export interface GroupPeriodRow {
  readonly groupId: string;
  readonly periodId: string;
  readonly version: number;
  readonly feedInWh: bigint;
  readonly feedOutWh: bigint;
  readonly scheduleNetWh: bigint;
  readonly imbalanceWh: bigint;
  readonly imbalanceAmountCents: bigint | null;
  readonly merkleRoot: string;
  readonly rootOnChain: string;
  readonly confirmedBlock: number | null;
  readonly substitutedCount: number;
}

export interface PeriodRow {
  readonly periodId: string;
  readonly groups: readonly GroupPeriodRow[];
  readonly finalizedOnChain: boolean;
  readonly plantOutputWh: bigint;
  readonly allocatedToHoldersWh: bigint;
  readonly allocatedToOperatorsWh: bigint;
  readonly holderRows: number;
  readonly holderAllocatedSumWh: bigint;
}

export interface ProofCheck {
  readonly meterId: string;
  readonly groupId: string;
  readonly periodId: string;
  readonly energyWh: string;
  readonly proofLength: number;
  readonly root: string;
  readonly txHash: string | null;
  readonly blockNumber: number | null;
  readonly verifiedOnChain: boolean;
  /** The salted leaf and proof checked here with OpenZeppelin's library against the root. */
  readonly verifiedLocally: boolean;
}

/** `gridledger verify-period` for one group-period, as an MPO would run it for its own meters. */
export interface PeriodVerification {
  readonly groupId: string;
  readonly periodId: string;
  readonly version: number;
  readonly meters: number;
  readonly checks: number;
  /** The first check that failed, `name: detail`; null when every check passed. */
  readonly firstDifference: string | null;
}

export interface InvariantCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface MarketDaySummary {
  readonly periods: readonly PeriodRow[];
  readonly ledgerTotalCents: bigint;
  readonly ledgerAccounts: number;
  readonly proof: ProofCheck;
  readonly verification: PeriodVerification;
  readonly invariants: readonly InvariantCheck[];
  /** Each participant address, its roles and what it signed (the demo's signer log plus the chain). */
  readonly signers: readonly SignerActivity[];
}

export async function collectSummary(input: {
  services: DemoServices;
  chain: DemoChain;
  observations: MarketObservations;
  population: Population;
  periodIds: readonly string[];
  expected: ReadonlyMap<string, ReadonlyMap<string, bigint>>;
  signers: SignerLog;
}): Promise<MarketDaySummary> {
  const { services, chain, observations, population, periodIds, expected, signers } = input;
  const balancing = services.url('balancing');
  const environment = authEnvironment(chain.chainId, chain.cascadeAddress);
  // The market operator reads the books in its own read session (a group's detail and the ledger are not public).
  const operatorSession = { authorization: await signSession(chain.marketOperator, environment) };
  signers.signed(await chain.marketOperator.getAddress(), 'read session (the summary: group-periods, ledger)');
  const periods: PeriodRow[] = [];
  for (const periodId of periodIds) {
    const periodStart = BigInt(parsePeriodId(periodId) / 1000);
    const groups: GroupPeriodRow[] = [];
    for (const groupId of population.groups) {
      const view = await callJson<{ latest: { version: number; feedInWh: string; feedOutWh: string; scheduleNetWh: string; imbalanceWh: string; imbalanceAmount: string | null; merkleRoot: string; substitutedCount: number } }>(
        `${balancing}/groups/${groupId}/periods/${periodId}`,
        { headers: operatorSession },
      );
      const latest = view.latest;
      const rootOnChain = String(await chain.cascade.getFunction('rootOf')(groupKey(groupId), periodStart, latest.version));
      groups.push({
        groupId,
        periodId,
        version: latest.version,
        feedInWh: BigInt(latest.feedInWh),
        feedOutWh: BigInt(latest.feedOutWh),
        scheduleNetWh: BigInt(latest.scheduleNetWh),
        imbalanceWh: BigInt(latest.imbalanceWh),
        imbalanceAmountCents: latest.imbalanceAmount === null ? null : BigInt(latest.imbalanceAmount),
        merkleRoot: latest.merkleRoot,
        rootOnChain,
        confirmedBlock: observations.confirmed.get(`${groupId}|${periodId}`)?.data.blockNumber ?? null,
        substitutedCount: latest.substitutedCount,
      });
    }
    const state = (await chain.cascade.getFunction('periodState')(periodStart)) as unknown as [unknown, bigint, boolean, bigint];
    const parts = observations.allocations.get(periodId)?.parts ?? [];
    const plants = new Map(parts.flatMap((part) => part.data.plants).map((plant) => [plant.plantId, plant]));
    const holders = parts.flatMap((part) => part.data.holders);
    let plantOutputWh = 0n;
    let allocatedToHoldersWh = 0n;
    let allocatedToOperatorsWh = 0n;
    for (const plant of plants.values()) {
      plantOutputWh += BigInt(plant.outputWh);
      allocatedToHoldersWh += BigInt(plant.allocatedToHoldersWh);
      allocatedToOperatorsWh += BigInt(plant.operatorWh);
    }
    periods.push({
      periodId,
      groups,
      finalizedOnChain: state[2],
      plantOutputWh,
      allocatedToHoldersWh,
      allocatedToOperatorsWh,
      holderRows: holders.length,
      holderAllocatedSumWh: holders.reduce((sum, holder) => sum + BigInt(holder.allocatedWh), 0n),
    });
  }
  // accounts and total are over every account, whatever the page.
  const ledger = await callJson<{ accounts: number; total: string }>(`${balancing}/ledger/balances?limit=1`, { headers: operatorSession });
  const proof = await checkOneProof(services, population, periodIds, environment, signers);
  const verification = await verifyOnePeriod(services, chain, population, periodIds, expected, environment, signers);
  await recordChainSigners(chain, population, signers);
  const invariants = [
    ...checkInvariants(periods, population, expected, BigInt(ledger.total), proof),
    { name: 'verify-period: own meters, salted leaves and totals agree with the chain', ok: verification.firstDifference === null, detail: verification.firstDifference ?? `${verification.groupId} ${verification.periodId} v${verification.version}` },
  ];
  return { periods, ledgerTotalCents: BigInt(ledger.total), ledgerAccounts: ledger.accounts, proof, verification, invariants, signers: signers.activities() };
}

/**
 * What the chain says each key did: the roles the registry granted (GroupRoleGranted minus
 * GroupRoleRevoked, scopes named by the market's groups, grid area and plants), the group
 * commits by their transactions' senders, the finalizations by their `finalizer`.
 */
async function recordChainSigners(chain: DemoChain, population: Population, signers: SignerLog): Promise<void> {
  const scopeIds = [...population.groups, DEMO_GRID_AREA, ...population.plants.map((plant) => plant.plantId)];
  const scopeNames = new Map<string, string>();
  for (const role of ROLE_NAMES.filter((name) => ROLE_SCOPE[name] !== 'market')) for (const id of scopeIds) scopeNames.set(`${role}|${scopeKey(role, id)}`, id);
  const held = new Map<string, { address: string; role: Role; scope: string | undefined }>();
  const roleLogs = [...(await chain.cascade.queryFilter(chain.cascade.filters.GroupRoleGranted(), 0, 'latest')), ...(await chain.cascade.queryFilter(chain.cascade.filters.GroupRoleRevoked(), 0, 'latest'))]
    .filter((log): log is EventLog => 'args' in log)
    .sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
  for (const log of roleLogs) {
    const role = roleOfId(String(log.args.role));
    if (!role) continue;
    const key = `${role}|${String(log.args.groupId)}|${String(log.args.account)}`;
    const scope = String(log.args.groupId);
    // Market-wide roles have no scope to name; a scope the demo does not know shows as its key.
    if (log.eventName === 'GroupRoleRevoked') held.delete(key);
    else held.set(key, { address: String(log.args.account), role, scope: scope === MARKET_SCOPE ? undefined : (scopeNames.get(`${role}|${scope}`) ?? `${scope.slice(0, 10)}…`) });
  }
  for (const { address, role, scope } of held.values()) signers.holds(address, role, scope);

  const commits = (await chain.cascade.queryFilter(chain.cascade.filters.PeriodCommitted(), 0, 'latest')).filter((log): log is EventLog => 'args' in log);
  const senders = new Map<string, string>();
  for (const hash of new Set(commits.map((log) => log.transactionHash))) {
    const transaction = await chain.provider.getTransaction(hash);
    if (transaction) senders.set(hash, transaction.from);
  }
  for (const log of commits) {
    const sender = senders.get(log.transactionHash);
    if (sender) signers.signed(sender, 'group-period commit on chain (root, totals, inputsDigest)');
  }
  for (const [sender, count] of countBy([...senders.values()])) signers.signed(sender, 'commit transaction on chain', count);
  const finalized = (await chain.cascade.queryFilter(chain.cascade.filters.PeriodFinalized(), 0, 'latest')).filter((log): log is EventLog => 'args' in log);
  for (const log of finalized) signers.signed(String(log.args.finalizer), 'period finalization on chain');
}

/** How often each sender occurs. */
function countBy(senders: readonly (string | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const sender of senders) if (sender) counts.set(sender, (counts.get(sender) ?? 0) + 1);
  return counts;
}

/** verify-period for one group-period: an MPO's own meters (their values as sent), fetched with their salted leaves and proofs in its read session, against the chain. */
async function verifyOnePeriod(
  services: DemoServices,
  chain: DemoChain,
  population: Population,
  periodIds: readonly string[],
  expected: ReadonlyMap<string, ReadonlyMap<string, bigint>>,
  environment: AuthEnvironment,
  signers: SignerLog,
): Promise<PeriodVerification> {
  const periodId = periodIds[Math.floor(periodIds.length / 2)];
  const groupId = population.groups[0];
  const values = expected.get(periodId);
  const mpo = population.meters.find((m) => m.groupId === groupId)?.mpo ?? 0;
  const own = population.meters.filter((m) => m.groupId === groupId && m.mpo === mpo && values?.has(m.meterId)).slice(0, 5);
  const signer = population.mpos[mpo];
  signers.signed(signer.address, 'read session (verify-period: its meters’ proofs)');
  const { evidence, checks } = await verifyPeriodFrom({
    authorization: await signSession(signer, environment),
    groupId,
    periodId,
    rpcUrl: chain.provider._getConnection().url,
    cascadeAddress: chain.cascadeAddress,
    bridgeUrl: services.url('chain-bridge'),
    ownMeters: own.map((m) => ({ meterId: m.meterId, direction: m.direction === 'production' ? 1 : 0, energyWh: values?.get(m.meterId) ?? 0n })),
  });
  const failed = checks.find((c) => !c.ok);
  return { groupId, periodId, version: evidence.chain.version, meters: own.length, checks: checks.length, firstDifference: failed ? `${failed.name}: ${failed.detail}` : null };
}

/** One household meter's proof, read in a session of the meter's own MPO. */
async function checkOneProof(services: DemoServices, population: Population, periodIds: readonly string[], environment: AuthEnvironment, signers: SignerLog): Promise<ProofCheck> {
  const meter = population.meters.find((m) => m.profile === 'household') ?? population.meters[0];
  const periodId = periodIds[Math.floor(periodIds.length / 2)];
  const mpo = population.mpos[meter.mpo];
  signers.signed(mpo.address, 'read session (a meter’s proof)');
  const answer = await callJson<{ leaf: [string, string, number, string, string]; proof: string[]; root: string; anchor: { txHash: string | null; blockNumber: number | null } | null; verifiedOnChain: boolean | null }>(
    `${services.url('chain-bridge')}/proofs/${meter.groupId}/${periodId}/${meter.meterId}`,
    { headers: { authorization: await signSession(mpo, environment) } },
  );
  return {
    meterId: meter.meterId,
    groupId: meter.groupId,
    periodId,
    energyWh: answer.leaf[3],
    proofLength: answer.proof.length,
    root: answer.root,
    txHash: answer.anchor?.txHash ?? null,
    blockNumber: answer.anchor?.blockNumber ?? null,
    verifiedOnChain: answer.verifiedOnChain === true,
    // The leaf carries its salt (its 5th value): without it the leaf hash could not be recomputed.
    verifiedLocally: StandardMerkleTree.verify(answer.root, [...METER_LEAF_TYPES], answer.leaf, answer.proof),
  };
}

function checkInvariants(
  periods: readonly PeriodRow[],
  population: Population,
  expected: ReadonlyMap<string, ReadonlyMap<string, bigint>>,
  ledgerTotal: bigint,
  proof: ProofCheck,
): InvariantCheck[] {
  const rows = periods.flatMap((p) => p.groups);
  const unbalanced = rows.filter((r) => r.feedInWh - r.feedOutWh - r.scheduleNetWh !== r.imbalanceWh);
  const marketWide = periods.filter((p) => {
    const sum = (pick: (r: GroupPeriodRow) => bigint): bigint => p.groups.reduce((acc, r) => acc + pick(r), 0n);
    // Schedules are exchanges between groups: market-wide they cancel.
    return sum((r) => r.imbalanceWh) !== sum((r) => r.feedInWh) - sum((r) => r.feedOutWh) - sum((r) => r.scheduleNetWh) || sum((r) => r.scheduleNetWh) !== 0n;
  });
  const metersOfGroup = new Map(population.groups.map((group) => [group, population.meters.filter((m) => m.groupId === group)]));
  const simulated = rows.filter((row) => {
    const values = expected.get(row.periodId);
    let feedIn = 0n;
    let feedOut = 0n;
    for (const meter of metersOfGroup.get(row.groupId) ?? []) {
      const energy = values?.get(meter.meterId) ?? 0n;
      if (meter.direction === 'production') feedIn += energy;
      else feedOut += energy;
    }
    return feedIn !== row.feedInWh || feedOut !== row.feedOutWh;
  });
  const rootMismatch = rows.filter((r) => r.rootOnChain.toLowerCase() !== r.merkleRoot.toLowerCase());
  const notFinal = periods.filter((p) => !p.finalizedOnChain);
  const allocationGap = periods.filter((p) => p.allocatedToHoldersWh + p.allocatedToOperatorsWh !== p.plantOutputWh || p.holderAllocatedSumWh !== p.allocatedToHoldersWh);
  const plantTruth = periods.filter((p) => {
    const values = expected.get(p.periodId);
    const output = population.plants.reduce((sum, plant) => sum + (values?.get(plant.meterId) ?? 0n), 0n);
    return output !== p.plantOutputWh;
  });
  const substituted = rows.reduce((sum, r) => sum + r.substitutedCount, 0);
  const list = (items: readonly { periodId: string; groupId?: string }[]): string => items.slice(0, 3).map((i) => `${i.groupId ?? ''} ${i.periodId}`.trim()).join(', ');
  return [
    { name: 'conservation per group: feed-in − feed-out − schedules = imbalance', ok: unbalanced.length === 0, detail: unbalanced.length === 0 ? `${rows.length} group-periods` : `off in ${list(unbalanced)}` },
    { name: 'market-wide: Σ imbalances = Σ feed-in − Σ feed-out, schedules cancel', ok: marketWide.length === 0, detail: marketWide.length === 0 ? `${periods.length} periods` : `off in ${list(marketWide)}` },
    { name: 'settled totals equal what the meters measured (each value counted once)', ok: simulated.length === 0 && substituted === 0, detail: simulated.length === 0 ? `${rows.length} group-periods, ${substituted} substitutes` : `off in ${list(simulated)}` },
    { name: 'root on chain equals root computed off chain', ok: rootMismatch.length === 0, detail: rootMismatch.length === 0 ? `${rows.length} commitments` : `differs in ${list(rootMismatch)}` },
    { name: 'every period finalized by the TSO on chain', ok: notFinal.length === 0, detail: notFinal.length === 0 ? `${periods.length} periods` : `not final: ${list(notFinal)}` },
    { name: 'allocations sum exactly to plant output', ok: allocationGap.length === 0 && plantTruth.length === 0, detail: allocationGap.length === 0 && plantTruth.length === 0 ? `${periods.length} periods` : `off in ${list([...allocationGap, ...plantTruth])}` },
    { name: 'imbalance ledger balances to zero', ok: ledgerTotal === 0n, detail: `total ${formatMinorUnits(ledgerTotal)} €` },
    { name: "a meter's proof verifies against the root on chain", ok: proof.verifiedOnChain && proof.verifiedLocally, detail: `${proof.meterId} in ${proof.groupId} at ${proof.periodId}, salted leaf` },
  ];
}

/** The readable report printed at the end of `npm run demo`. */
export function formatSummary(summary: MarketDaySummary, maxPeriodLines = 12): string {
  const lines: string[] = [];
  const kwh = (wh: bigint): string => whToKwh(wh).padStart(12);
  lines.push('', 'Market day summary (energy in kWh, money in €)', '');
  lines.push(`${'period'.padEnd(21)}${'group'.padEnd(7)}${'v'.padStart(2)} ${'feed-in'.padStart(12)} ${'feed-out'.padStart(12)} ${'schedules'.padStart(12)} ${'imbalance'.padStart(12)} ${'settled €'.padStart(10)}  block`);
  const step = Math.max(1, Math.ceil(summary.periods.length / maxPeriodLines));
  summary.periods.forEach((period, index) => {
    if (index % step !== 0 && index !== summary.periods.length - 1) return;
    for (const row of period.groups) {
      const money = row.imbalanceAmountCents === null ? 'unpriced' : formatMinorUnits(row.imbalanceAmountCents);
      lines.push(
        `${period.periodId.padEnd(21)}${row.groupId.padEnd(7)}${String(row.version).padStart(2)} ${kwh(row.feedInWh)} ${kwh(row.feedOutWh)} ${kwh(row.scheduleNetWh)} ${kwh(row.imbalanceWh)} ${money.padStart(10)}  ${row.confirmedBlock ?? '-'}`,
      );
    }
    lines.push(
      `${''.padEnd(21)}capacity: plant output ${whToKwh(period.plantOutputWh)} kWh → holders ${whToKwh(period.allocatedToHoldersWh)}, operators ${whToKwh(period.allocatedToOperatorsWh)} (${period.holderRows} holders) · ${period.finalizedOnChain ? 'finalized on chain' : 'NOT finalized'}`,
    );
  });
  if (step > 1) lines.push(`(every ${step}th period shown; all ${summary.periods.length} were checked)`);
  const total = (pick: (r: GroupPeriodRow) => bigint): bigint => summary.periods.flatMap((p) => p.groups).reduce((sum, r) => sum + pick(r), 0n);
  lines.push('');
  lines.push(`day totals: feed-in ${whToKwh(total((r) => r.feedInWh))} kWh, feed-out ${whToKwh(total((r) => r.feedOutWh))} kWh, imbalance ${whToKwh(total((r) => r.imbalanceWh))} kWh`);
  lines.push(`imbalance ledger: ${summary.ledgerAccounts} accounts, balances sum to ${formatMinorUnits(summary.ledgerTotalCents)} €`);
  const v = summary.verification;
  lines.push(
    `verify-period: ${v.groupId} ${v.periodId} v${v.version}, ${v.meters} own meters, ${v.checks} checks: ${v.firstDifference === null ? 'agrees with the chain' : `DIFFERS (${v.firstDifference})`}`,
  );
  const p = summary.proof;
  lines.push(`proof: meter ${p.meterId} (${p.groupId}) at ${p.periodId}: ${whToKwh(BigInt(p.energyWh))} kWh, ${p.proofLength} hashes to root ${p.root.slice(0, 18)}…, anchored in tx ${p.txHash?.slice(0, 18) ?? '-'}… block ${p.blockNumber ?? '-'}: ${p.verifiedOnChain ? 'verified by the contract' : 'NOT verified'}, salted leaf ${p.verifiedLocally ? 'verified here' : 'NOT verified here'}`);
  lines.push('', ...formatSigners(summary.signers));
  lines.push('', 'invariants:');
  for (const check of summary.invariants) lines.push(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.name} (${check.detail})`);
  return lines.join('\n');
}
