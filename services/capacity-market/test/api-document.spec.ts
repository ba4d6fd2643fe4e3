import { apiDocumentUnderTest } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { capacityMarketService } from '../src/service';

describeApiDocument(apiDocumentUnderTest(capacityMarketService()));
