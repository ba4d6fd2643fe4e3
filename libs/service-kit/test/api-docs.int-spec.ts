import { Controller, Get, Module, Param } from '@nestjs/common';
import { z } from 'zod';
import { apiDocumentUnderTest, bootstrapService, commonConfigSchema, openApiDocument, type RunningService } from '@gridledger/service-kit';
import { testNatsEnv, createTestDatabase, deleteNamespaceStreams, randomNamespace, type TestDatabase } from '@gridledger/testing';

jest.setTimeout(60_000);

@Controller('things')
class ThingsController {
  @Get(':thingId')
  get(@Param('thingId') thingId: string): { thingId: string } {
    return { thingId };
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

const document = openApiDocument({
  name: 'things',
  description: 'A service with one route.',
  routes: [{ method: 'get', path: '/things/:thingId', summary: 'One thing.', params: z.object({ thingId: z.string().min(1) }), response: { status: 200, description: 'The thing.' } }],
});

describe('GET /docs: the OpenAPI document a service is given, served as JSON', () => {
  let db: TestDatabase;
  let service: RunningService<unknown>;
  const namespace = randomNamespace();

  beforeAll(async () => {
    db = await createTestDatabase();
    service = await bootstrapService({
      name: 'things',
      schema: 'things',
      configSchema: commonConfigSchema(0),
      appModule: ThingsModule,
      apiDocument: document,
      outboxRelay: false,
      env: { DATABASE_URL: db.url, ...testNatsEnv(), NATS_NAMESPACE: namespace, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error' },
    });
  });

  afterAll(async () => {
    await service?.close();
    await deleteNamespaceStreams(namespace);
    await db?.drop();
  });

  it('serves the document at /docs and /docs/openapi.json', async () => {
    for (const path of ['/docs', '/docs/openapi.json']) {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual(JSON.parse(JSON.stringify(document)));
    }
  });

  it('lists the app route and the kit routes the running service answers', async () => {
    const { served, documented } = apiDocumentUnderTest({ name: 'things', appModule: ThingsModule, apiDocument: document });
    expect(documented).toEqual(served);
    expect(served).toEqual(['GET /docs', 'GET /docs/openapi.json', 'GET /health/live', 'GET /health/ready', 'GET /metrics', 'GET /things/{thingId}']);
    expect(await (await fetch(`${service.url}/things/t-1`)).json()).toEqual({ thingId: 't-1' });
  });
});
