import { Module } from '@nestjs/common';
import { ChainModule } from '../chain/chain.module';
import { CommitWorker } from './commit.worker';
import { PeriodCommitRepository } from './period-commit.repository';
import { SettledHandler } from './settled.handler';

/** Settled versions in (SettledHandler), commits out (CommitWorker), and their table. */
@Module({
  imports: [ChainModule],
  providers: [PeriodCommitRepository, SettledHandler, CommitWorker],
  exports: [PeriodCommitRepository, SettledHandler, CommitWorker],
})
export class CommitsModule {}
