import { apiDocumentUnderTest } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { chainBridgeService } from '../src/service';

describeApiDocument(apiDocumentUnderTest(chainBridgeService({ CHAIN_MODE: 'committer' })));
describeApiDocument(apiDocumentUnderTest(chainBridgeService({ CHAIN_MODE: 'finalizer' })));
