import { servedInterface } from '@gridledger/service-kit';
import { describeAuthorizationTable } from '@gridledger/testing';
import { balancingService } from '../src/service';

// Open beside health, metrics and documents: public market data only.
describeAuthorizationTable(servedInterface(balancingService()), ['GET /groups/{group}/periods', 'GET /reconciliation']);
