import { servedInterface } from '@gridledger/service-kit';
import { describeAuthorizationTable } from '@gridledger/testing';
import { chainBridgeService } from '../src/service';

// Open beside health, metrics and documents: public market data only.
describeAuthorizationTable(servedInterface(chainBridgeService({ CHAIN_MODE: 'committer' })), ['GET /commits/{groupId}/{periodId}']);
// The TSO's finalizer (CHAIN_MODE=finalizer): whether and why a period is finalized is public.
describeAuthorizationTable(servedInterface(chainBridgeService({ CHAIN_MODE: 'finalizer' })), ['GET /finalizations/{periodId}']);
