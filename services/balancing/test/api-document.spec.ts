import { apiDocumentJson, apiDocumentRoutes } from '@gridledger/service-kit';
import { describeApiDocument } from '@gridledger/testing';
import { balancingApiDocument } from '../src/api-document';
import { AppModule } from '../src/app.module';

const document = balancingApiDocument();
describeApiDocument({ service: 'balancing', document, ...apiDocumentRoutes('balancing', document, AppModule), json: apiDocumentJson(document) });
