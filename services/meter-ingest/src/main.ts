import 'reflect-metadata';
import { runService } from '@gridledger/service-kit';
import { meterIngestService } from './service';

void runService(meterIngestService());
