import { Module } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Keccak256, loadKeccak256 } from '@gridledger/domain';
import { DATA_SOURCE, SERVICE_CONFIG } from '@gridledger/service-kit';
import { BalancingConfig } from './config';
import { GroupsController } from './http/groups.controller';
import { LedgerController } from './http/ledger.controller';
import { MarketInputController } from './http/market-input.controller';
import { BalancingStreamsController } from './ingest/balancing-consumers';
import { ProofResponder } from './proofs/proof.responder';
import { ProofService } from './proofs/proof.service';
import { Clock, systemClock } from './settlement/clock';
import { GroupPeriodSettler } from './settlement/group-period.settler';
import { SettlementWorker } from './settlement/settlement.worker';
import { CLOCK, KECCAK, MERKLE_ROOTS } from './settlement/tokens';
import { MerkleRoots, createMerkleRoots } from './settlement/merkle-roots';

/**
 * balancing: consumers (registry, intervals, schedules, prices, chain confirmations), the
 * settlement worker, the proof responder and the HTTP API. Messaging, database, telemetry,
 * config, health and metrics come from service-kit's global BackboneModule.
 */
@Module({
  controllers: [GroupsController, LedgerController, MarketInputController, BalancingStreamsController, ProofResponder],
  providers: [
    { provide: KECCAK, useFactory: () => loadKeccak256() },
    { provide: CLOCK, useValue: systemClock },
    {
      provide: MERKLE_ROOTS,
      inject: [SERVICE_CONFIG, KECCAK],
      useFactory: (config: BalancingConfig, keccak: Keccak256) => createMerkleRoots(config.MERKLE_THREADS, keccak),
    },
    {
      provide: GroupPeriodSettler,
      inject: [DATA_SOURCE, MERKLE_ROOTS, CLOCK],
      useFactory: (dataSource: DataSource, roots: MerkleRoots, clock: Clock) => new GroupPeriodSettler(dataSource, roots, clock),
    },
    { provide: ProofService, inject: [DATA_SOURCE, KECCAK], useFactory: (dataSource: DataSource, keccak: Keccak256) => new ProofService(dataSource, keccak) },
    SettlementWorker,
  ],
})
export class AppModule {}
