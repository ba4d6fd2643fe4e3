import { Module } from '@nestjs/common';
import { ChainModule } from '../chain/chain.module';
import { ClosedHandler } from './closed.handler';
import { FinalizationWorker } from './finalization.worker';
import { PeriodFinalizationRepository } from './period-finalization.repository';

/** Period summaries in (ClosedHandler), the TSO's finalizations out (FinalizationWorker), and their table. */
@Module({
  imports: [ChainModule],
  providers: [PeriodFinalizationRepository, ClosedHandler, FinalizationWorker],
  exports: [PeriodFinalizationRepository, ClosedHandler, FinalizationWorker],
})
export class FinalizationModule {}
