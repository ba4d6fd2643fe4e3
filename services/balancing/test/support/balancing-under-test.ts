import { leafSalt, loadKeccak256, meterLeafValues, parseLeafSaltKey } from '@gridledger/domain';
import { MeterIntervalsMeasured, measuredSeriesOf } from '@gridledger/events';
import { versionSaltKey } from '@gridledger/settlement';
import type { MessagingClient } from '@gridledger/messaging';
import { startTestRoles, type TestRoles } from './roles';
import { SpawnedService, TestDatabase, connectTestMessaging, testNatsEnv, createTestDatabase, deleteNamespaceStreams, randomNamespace, spawnService } from '@gridledger/testing';

/** The leaf salt key the specs give balancing (BALANCING_LEAF_SALT_KEY), so they can recompute roots. */
export const TEST_LEAF_SALT_KEY = `0x${'5e'.repeat(32)}`;

/** A meter's leaf values [meterId, start, direction, energyWh, salt] as balancing salts it in `version`. */
export async function saltedLeaf(groupId: string, periodStartSeconds: bigint, version: number, meterId: string, direction: 'production' | 'consumption', energyWh: bigint) {
  const keccak = await loadKeccak256();
  const code = direction === 'production' ? 1 : 0;
  const salt = leafSalt(versionSaltKey(parseLeafSaltKey(TEST_LEAF_SALT_KEY), groupId, periodStartSeconds, version), meterId, code, keccak);
  return meterLeafValues({ meterId, periodStartSeconds, direction: code, energyWh, salt });
}

/** The balancing service process on a throwaway database and NATS namespace, with a publisher. */
export interface BalancingUnderTest {
  readonly db: TestDatabase;
  readonly namespace: string;
  readonly messaging: MessagingClient;
  readonly service: SpawnedService;
  /** The RoleRegistry balancing mirrors, and its market operator (reads in its session). */
  readonly roles: TestRoles;
  stop(): Promise<void>;
}

export async function startBalancing(publisherName: string, env: Record<string, string>): Promise<BalancingUnderTest> {
  const db = await createTestDatabase();
  const namespace = randomNamespace();
  const messaging = await connectTestMessaging({ namespace, name: publisherName });
  await messaging.ensureStreams();
  const roles = await startTestRoles();
  const service = await spawnService({
    entry: 'services/balancing/src/main.ts',
    // Measured events come from the test, not from a meter-ingest: no manifests unless a test asks.
    env: { DATABASE_URL: db.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, LOG_LEVEL: 'warn', BALANCING_REQUIRE_MANIFEST: 'false', BALANCING_LEAF_SALT_KEY: TEST_LEAF_SALT_KEY, ...roles.env, ...env },
    readyTimeoutMs: 60_000,
  });
  return {
    db,
    namespace,
    messaging,
    service,
    roles,
    async stop() {
      await service.kill();
      await roles.stop();
      await messaging.close();
      await deleteNamespaceStreams(namespace);
      await db.drop();
    },
  };
}

let batchSequence = 0;

/** One MPO batch of measured intervals for one group and period, as meter-ingest publishes it. */
export async function publishMeasured(
  messaging: MessagingClient,
  batch: { mpo: string; groupId: string; periodId: string; values: readonly (readonly [string, 'production' | 'consumption', string])[]; periodLength?: 'PT15M' | 'PT60M' },
): Promise<void> {
  batchSequence += 1;
  const batchId = `0x${batchSequence.toString(16).padStart(64, '0')}`;
  const envelope = MeterIntervalsMeasured.create({
    data: {
      batchId,
      mpo: batch.mpo,
      groupId: batch.groupId,
      periodLength: batch.periodLength ?? 'PT15M',
      receivedAt: new Date().toISOString(),
      series: measuredSeriesOf(batch.values.map(([meterId, direction, energyWh]) => ({ meterId, direction, periodId: batch.periodId, energyWh, quality: 'measured' as const }))),
    },
    idParts: [batchId, batch.groupId],
    occurredAt: new Date(),
  });
  await messaging.publishEvent(MeterIntervalsMeasured, envelope, batch.groupId);
}
