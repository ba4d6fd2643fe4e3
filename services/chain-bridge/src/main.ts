import 'reflect-metadata';
import { runService } from '@gridledger/service-kit';
import { chainBridgeService } from './service';

void runService(chainBridgeService());
