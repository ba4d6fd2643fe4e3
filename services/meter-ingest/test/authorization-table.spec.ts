import { servedInterface } from '@gridledger/service-kit';
import { describeAuthorizationTable } from '@gridledger/testing';
import { meterIngestService } from '../src/service';

// Open beside health, metrics and documents: public market data only.
describeAuthorizationTable(servedInterface(meterIngestService()), []);
