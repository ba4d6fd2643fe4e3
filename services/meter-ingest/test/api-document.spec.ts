import { apiDocumentUnderTest } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { meterIngestService } from '../src/service';

describeApiDocument(apiDocumentUnderTest(meterIngestService()));
