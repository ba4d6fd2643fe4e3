import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { Client } from 'pg';
import { bootstrapService, commonConfigSchema, type RunningService } from '@gridledger/service-kit';
import { createTestDatabase, freePort, spawnService, waitFor, type TestDatabase } from '@gridledger/testing';

jest.setTimeout(60_000);

@Module({})
class EmptyModule {}

/** A private nats-server, so the test can stop the broker without disturbing anyone else. */
class PrivateNats {
  private child: ChildProcess | undefined;
  private readonly storeDir = mkdtempSync(join(tmpdir(), 'gl-nats-'));
  constructor(readonly port: number) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: 'ignore' });
    await waitFor(async () => (await fetchable(this.port)) === true, { what: 'private nats-server', timeoutMs: 10_000 });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

async function fetchable(port: number): Promise<boolean> {
  const { connect } = await import('nats');
  try {
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false, timeout: 500 });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

async function ready(url: string): Promise<{ status: number; body: { checks?: Record<string, { status: string; reason?: string }> } & Record<string, unknown> }> {
  const response = await fetch(`${url}/health/ready`);
  return { status: response.status, body: (await response.json()) as { checks?: Record<string, { status: string; reason?: string }> } };
}

describe('readiness: 200 only when NATS and Postgres answer', () => {
  let db: TestDatabase;
  let nats: PrivateNats;
  let service: RunningService<unknown>;

  beforeAll(async () => {
    db = await createTestDatabase();
    nats = new PrivateNats(await freePort());
    await nats.start();
    service = await bootstrapService({
      name: 'readiness-probe',
      schema: 'probe',
      configSchema: commonConfigSchema(0),
      appModule: EmptyModule,
      env: { DATABASE_URL: db.url, NATS_URL: nats.url, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', LOG_LEVEL: 'error' },
    });
  });

  afterAll(async () => {
    await service?.close();
    await nats?.dispose();
    await db?.drop();
  });

  it('is live and ready when both answer, and serves metrics', async () => {
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);
    expect(await ready(service.url)).toEqual({ status: 200, body: { status: 'up', checks: { nats: { status: 'up' }, postgres: { status: 'up' } } } });
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toContain('target_info{service_name="readiness-probe"');
  });

  it('answers 503 naming NATS while the broker is down, and recovers when it is back', async () => {
    await nats.kill();
    const down = await waitFor(async () => {
      const answer = await ready(service.url);
      return answer.status === 503 ? answer : undefined;
    });
    expect(down.body.checks).toMatchObject({ nats: { status: 'down', reason: expect.any(String) }, postgres: { status: 'up' } });
    expect((await fetch(`${service.url}/health/live`)).status).toBe(200);

    await nats.start();
    await waitFor(async () => (await ready(service.url)).status === 200, { timeoutMs: 15_000, what: 'ready after NATS returns' });
  });

  it('answers 503 naming Postgres while the database refuses connections, and recovers', async () => {
    const admin = new Client({ connectionString: db.url.replace(/\/[^/]+$/, '/postgres') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [db.name]);
      const down = await waitFor(async () => {
        const answer = await ready(service.url);
        return answer.status === 503 ? answer : undefined;
      });
      expect(down.body.checks).toMatchObject({ nats: { status: 'up' }, postgres: { status: 'down', reason: expect.any(String) } });
    } finally {
      await admin.query(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitFor(async () => (await ready(service.url)).status === 200, { timeoutMs: 15_000, what: 'ready after Postgres returns' });
  });
});

describe('start-up with bad configuration', () => {
  it('exits 1 at once, naming every bad variable', async () => {
    const child = await spawnService({
      entry: 'libs/service-kit/test/fixtures/minimal-service.ts',
      env: { DATABASE_URL: '', HTTP_PORT: 'eighty', LOG_LEVEL: 'loud' },
      waitReady: false,
    });
    expect(await child.exited).toBe(1);
    const output = child.output();
    expect(output).not.toContain('Postgres'); // config fails before anything is touched
    expect(output).toContain('failed to start: invalid configuration');
    expect(output).toContain('DATABASE_URL: is required but not set');
    expect(output).toContain('HTTP_PORT: must be a port number');
    expect(output).toContain('LOG_LEVEL: must be one of debug, info, warn, error');
  });

  it('exits 1 naming the database when Postgres refuses the URL', async () => {
    const child = await spawnService({
      entry: 'libs/service-kit/test/fixtures/minimal-service.ts',
      env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/t_does_not_exist_0' },
      waitReady: false,
    });
    expect(await child.exited).toBe(1);
    const line = JSON.parse(child.output().trim().split('\n').pop()!) as { msg: string };
    expect(line.msg).toBe('failed to start: Postgres (DATABASE_URL): database "t_does_not_exist_0" does not exist');
  });
});

describe('a spawned service process', () => {
  it('becomes ready, and SIGTERM shuts it down cleanly', async () => {
    const db = await createTestDatabase();
    try {
      const child = await spawnService({ entry: 'libs/service-kit/test/fixtures/minimal-service.ts', env: { DATABASE_URL: db.url, HTTP_HOST: '127.0.0.1' } });
      expect((await ready(child.url)).status).toBe(200);
      expect(await child.stop()).toBe(0);
    } finally {
      await db.drop();
    }
  });
});
