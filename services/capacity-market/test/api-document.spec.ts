import { apiDocumentJson, apiDocumentRoutes } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { capacityMarketApiDocument } from '../src/api-document';
import { AppModule } from '../src/app.module';

const document = capacityMarketApiDocument();
describeApiDocument({ service: 'capacity-market', document, ...apiDocumentRoutes('capacity-market', document, AppModule), json: apiDocumentJson(document) });
