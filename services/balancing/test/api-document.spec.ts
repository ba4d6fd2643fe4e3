import { apiDocumentUnderTest } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { balancingService } from '../src/service';

describeApiDocument(apiDocumentUnderTest(balancingService()));
