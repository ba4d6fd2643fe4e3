import 'reflect-metadata';
import { runService } from '@gridledger/service-kit';
import { balancingService } from './service';

void runService(balancingService());
