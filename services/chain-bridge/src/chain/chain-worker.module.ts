import { Module } from '@nestjs/common';
import { CommitWorker } from '../commits/commit.worker';
import { CommitsModule } from '../commits/commits.module';
import { FinalizationWorker } from '../finalization/finalization.worker';
import { FinalizationModule } from '../finalization/finalization.module';
import { ChainModule } from './chain.module';
import { CHAIN_ROUNDS, ChainRound, ChainWorker } from './chain.worker';

/** The one chain loop and its rounds: commits, then finalizations when a TSO key is configured. */
@Module({
  imports: [ChainModule, CommitsModule, FinalizationModule],
  providers: [
    {
      provide: CHAIN_ROUNDS,
      inject: [CommitWorker, FinalizationWorker],
      useFactory: (commits: CommitWorker, finalizations: FinalizationWorker): ChainRound[] => [commits, finalizations].filter((round) => round.enabled),
    },
    ChainWorker,
  ],
})
export class ChainWorkerModule {}
