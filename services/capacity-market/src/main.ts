import 'reflect-metadata';
import { runService } from '@gridledger/service-kit';
import { capacityMarketService } from './service';

void runService(capacityMarketService());
