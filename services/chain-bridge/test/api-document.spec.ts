import { apiDocumentJson, apiDocumentRoutes } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { chainBridgeApiDocument } from '../src/api-document';
import { AppModule } from '../src/app.module';

const document = chainBridgeApiDocument();
describeApiDocument({ service: 'chain-bridge', document, ...apiDocumentRoutes('chain-bridge', document, AppModule), json: apiDocumentJson(document) });
