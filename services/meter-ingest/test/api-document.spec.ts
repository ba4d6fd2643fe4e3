import { apiDocumentJson, apiDocumentRoutes } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { meterIngestApiDocument } from '../src/api-document';
import { AppModule } from '../src/app.module';

const document = meterIngestApiDocument();
describeApiDocument({ service: 'meter-ingest', document, ...apiDocumentRoutes('meter-ingest', document, AppModule), json: apiDocumentJson(document) });
