import { servedInterface } from '@gridledger/service-kit';
import { describeAuthorizationTable } from '@gridledger/testing';
import { capacityMarketService } from '../src/service';

// Open beside health, metrics and documents: public market data only.
describeAuthorizationTable(servedInterface(capacityMarketService()), ['GET /plants', 'GET /plants/{plantId}']);
