import { Module } from '@nestjs/common';
import { Wallet } from 'ethers';
import type { DataSource } from 'typeorm';
import type { Clock } from '@gridledger/domain';
import { CLOCK, DATA_SOURCE, SERVICE_CONFIG } from '@gridledger/service-kit';
import type { ChainBridgeConfig } from '../config';
import { BridgeAlarms } from './bridge-alarms';
import { CascadeClient } from './cascade.client';
import { ChainCursorRepository } from './chain-cursor.repository';
import { ChainIdentity } from './chain-identity';
import { JsonRpcClient } from './json-rpc.client';
import { SubmissionRepository } from './submission.repository';
import { ChainSubmissionStep } from './submitting-round';
import { COMMIT_SENDER, FINALIZE_SENDER, TransactionSender, senderOptionsOf } from './transaction.sender';
import { WorkerWakeup } from './worker-wakeup';

const SENDER_DEPENDENCIES = [SERVICE_CONFIG, CascadeClient, ChainIdentity, SubmissionRepository, DATA_SOURCE, CLOCK];

function senderFor(privateKey: string, config: ChainBridgeConfig, client: CascadeClient, chain: ChainIdentity, submissions: SubmissionRepository, db: DataSource, clock: Clock): TransactionSender {
  return new TransactionSender(new Wallet(privateKey), client, chain, submissions, db, clock, senderOptionsOf(config));
}

/**
 * The chain side of the bridge: the JSON-RPC client, the cascade client on it, the chain id,
 * the transaction sender of the process's one signer (a committer's CHAIN_COMMITTER_KEY, a
 * finalizer's CHAIN_TSO_KEY; the other sender is null), the
 * shared submit/confirm/reorg step, the submission and cursor repositories, alarms and the
 * worker wake-up. Keys come only from the config and are never logged.
 */
@Module({
  providers: [
    {
      provide: JsonRpcClient,
      inject: [SERVICE_CONFIG],
      useFactory: (config: ChainBridgeConfig) => new JsonRpcClient(config.CHAIN_RPC_URL, config.CHAIN_RPC_TIMEOUT_MS),
    },
    {
      provide: CascadeClient,
      inject: [JsonRpcClient, SERVICE_CONFIG],
      useFactory: (rpc: JsonRpcClient, config: ChainBridgeConfig) => new CascadeClient(rpc, config.CHAIN_CASCADE_ADDRESS),
    },
    {
      provide: COMMIT_SENDER,
      inject: SENDER_DEPENDENCIES,
      useFactory: (config: ChainBridgeConfig, ...rest: [CascadeClient, ChainIdentity, SubmissionRepository, DataSource, Clock]) =>
        config.CHAIN_COMMITTER_KEY ? senderFor(config.CHAIN_COMMITTER_KEY, config, ...rest) : null,
    },
    {
      provide: FINALIZE_SENDER,
      inject: SENDER_DEPENDENCIES,
      useFactory: (config: ChainBridgeConfig, ...rest: [CascadeClient, ChainIdentity, SubmissionRepository, DataSource, Clock]) =>
        config.CHAIN_TSO_KEY ? senderFor(config.CHAIN_TSO_KEY, config, ...rest) : null,
    },
    ChainIdentity,
    ChainSubmissionStep,
    SubmissionRepository,
    ChainCursorRepository,
    BridgeAlarms,
    WorkerWakeup,
  ],
  exports: [JsonRpcClient, CascadeClient, ChainIdentity, COMMIT_SENDER, FINALIZE_SENDER, ChainSubmissionStep, ChainCursorRepository, BridgeAlarms, WorkerWakeup],
})
export class ChainModule {}
