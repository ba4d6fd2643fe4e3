import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Clock, Keccak256, loadKeccak256 } from '@gridledger/domain';
import { AuthModule, CLOCK, DATA_SOURCE, SERVICE_CONFIG } from '@gridledger/service-kit';
import { BalancingConfig } from './config';
import { GroupsController } from './http/groups.controller';
import { LedgerController } from './http/ledger.controller';
import { ReaderAccess } from './http/reader-access';
import { MarketInputController } from './http/market-input.controller';
import { BalancingStreamsController } from './ingest/balancing-consumers';
import { GroupPeriodsReadRepository } from './persistence/group-periods-read.repository';
import { LedgerReadRepository } from './persistence/ledger-read.repository';
import { leafSaltKeyOf } from './persistence/leaf-salt-key.repository';
import { ProofResponder } from './proofs/proof.responder';
import { ReconciliationController, ReconciliationWorker } from './reconciliation/reconciliation.worker';
import { ProofService } from './proofs/proof.service';
import { GroupPeriodSettler } from './settlement/group-period.settler';
import { SettlementWorker } from './settlement/settlement.worker';
import { KECCAK, LEAF_SALT_KEY, MERKLE_ROOTS } from './settlement/tokens';
import { MerkleRoots, createMerkleRoots } from './settlement/merkle-roots';
import { AdoptedVersionsRestorer } from './rebuild/adopted-versions.restorer';
import { SettledHistoryAdoption } from './rebuild/settled-history.adoption';

/**
 * balancing: consumers (registry, intervals, schedules, prices, chain confirmations), the
 * settlement worker, the proof responder and the HTTP API. Messaging, database, telemetry,
 * config, the clock (CLOCK), health and metrics come from service-kit's global BackboneModule;
 * signed writes, read sessions and the role mirror from its AuthModule.
 */
@Module({
  imports: [AuthModule.forRoot()],
  controllers: [GroupsController, LedgerController, MarketInputController, BalancingStreamsController, ProofResponder, ReconciliationController],
  providers: [
    { provide: KECCAK, useFactory: () => loadKeccak256() },
    {
      provide: LEAF_SALT_KEY,
      inject: [DATA_SOURCE, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, config: BalancingConfig) => leafSaltKeyOf(dataSource, config.BALANCING_LEAF_SALT_KEY),
    },
    {
      provide: MERKLE_ROOTS,
      inject: [SERVICE_CONFIG, KECCAK],
      useFactory: (config: BalancingConfig, keccak: Keccak256) => createMerkleRoots(config.BALANCING_MERKLE_THREADS, keccak),
    },
    {
      provide: GroupPeriodSettler,
      inject: [DATA_SOURCE, MERKLE_ROOTS, KECCAK, LEAF_SALT_KEY, CLOCK, SERVICE_CONFIG],
      useFactory: (dataSource: DataSource, roots: MerkleRoots, keccak: Keccak256, leafSaltKey: Buffer, clock: Clock, config: BalancingConfig) =>
        new GroupPeriodSettler(
          dataSource,
          roots,
          keccak,
          leafSaltKey,
          clock,
          { maxFailures: config.BALANCING_SETTLE_MAX_FAILURES, retryBackoffMs: config.BALANCING_SETTLE_RETRY_BACKOFF_MS },
          { required: config.BALANCING_REQUIRE_MANIFEST, resendRetryMs: config.BALANCING_RESEND_RETRY_MS },
        ),
    },
    {
      provide: AdoptedVersionsRestorer,
      inject: [DATA_SOURCE, KECCAK, LEAF_SALT_KEY],
      useFactory: (dataSource: DataSource, keccak: Keccak256, leafSaltKey: Buffer) => new AdoptedVersionsRestorer(dataSource, keccak, leafSaltKey),
    },
    SettledHistoryAdoption,
    {
      provide: ProofService,
      inject: [DATA_SOURCE, KECCAK, LEAF_SALT_KEY],
      useFactory: (dataSource: DataSource, keccak: Keccak256, leafSaltKey: Buffer) => new ProofService(dataSource, keccak, leafSaltKey),
    },
    ReaderAccess,
    GroupPeriodsReadRepository,
    LedgerReadRepository,
    SettlementWorker,
    ReconciliationWorker,
  ],
})
export class AppModule {}
