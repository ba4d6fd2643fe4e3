import { spawnService, type SpawnedService } from '@gridledger/testing';

/**
 * The four services as child processes, plus the TSO's finalizer (chain-bridge in
 * CHAIN_MODE=finalizer, its own process and key), each with its own log in memory. `restart` kills one
 * with SIGKILL and starts it again on the same port with the same environment: what an
 * operator's crash looks like, used by the e2e test. With `replicas` > 1 each service runs
 * that many processes on one database and NATS namespace; `url` then takes turns between
 * them, so the HTTP work is shared too, and restart/crash/revive act on every replica.
 */
export type ServiceName = 'meter-ingest' | 'balancing' | 'capacity-market' | 'chain-bridge' | 'chain-finalizer';
export const SERVICE_NAMES: readonly ServiceName[] = ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge', 'chain-finalizer'];

/** The finalizer is chain-bridge's program in another mode. */
const PROGRAM: Readonly<Record<ServiceName, string>> = {
  'meter-ingest': 'meter-ingest',
  balancing: 'balancing',
  'capacity-market': 'capacity-market',
  'chain-bridge': 'chain-bridge',
  'chain-finalizer': 'chain-bridge',
};

export interface DemoServices {
  url(name: ServiceName): string;
  /** SIGKILL (a crash) by default; `graceful` sends SIGTERM and waits. */
  restart(name: ServiceName, how?: { graceful: boolean }): Promise<void>;
  /** SIGKILL and leave it down (the chaos suite deletes a message meanwhile); `revive` starts it again. */
  crash(name: ServiceName): Promise<void>;
  revive(name: ServiceName): Promise<void>;
  output(name: ServiceName): string;
  stopAll(): Promise<void>;
}

export async function startServices(envOf: (name: ServiceName) => Record<string, string>, log: (line: string) => void, replicas = 1): Promise<DemoServices> {
  const running = new Map<ServiceName, SpawnedService[]>();
  const crashed = new Map<ServiceName, SpawnedService[]>();
  const turns = new Map<ServiceName, number>();
  const spawnOne = (name: ServiceName, port?: number): Promise<SpawnedService> =>
    spawnService({ entry: `services/${PROGRAM[name]}/src/main.ts`, env: envOf(name), port, readyTimeoutMs: 600_000 });
  const replicasOf = (name: ServiceName): SpawnedService[] => {
    const list = running.get(name);
    if (!list || list.length === 0) throw new Error(`${name} is not running`);
    return list;
  };
  const services: DemoServices = {
    url(name) {
      const list = replicasOf(name);
      const turn = turns.get(name) ?? 0;
      turns.set(name, turn + 1);
      return list[turn % list.length].url;
    },
    async restart(name, how = { graceful: false }) {
      const list = replicasOf(name);
      for (const [i, service] of list.entries()) {
        if (how.graceful) {
          await service.stop(15_000);
          log(`stopped ${name} (pid ${service.pid}); starting it again`);
        } else {
          await service.kill();
          log(`killed ${name} (pid ${service.pid}) with SIGKILL; starting it again`);
        }
        list[i] = await spawnOne(name, service.port);
        log(`${name} is back (pid ${list[i].pid})`);
      }
    },
    async crash(name) {
      const list = replicasOf(name);
      for (const service of list) await service.kill();
      crashed.set(name, list);
      running.delete(name);
      log(`killed ${name} (pid ${list.map((s) => s.pid).join(', ')}) with SIGKILL; it stays down for now`);
    },
    async revive(name) {
      const list = crashed.get(name);
      if (!list) throw new Error(`${name} was not crashed`);
      crashed.delete(name);
      const again: SpawnedService[] = [];
      for (const service of list) again.push(await spawnOne(name, service.port));
      running.set(name, again);
      log(`${name} is back (pid ${again.map((s) => s.pid).join(', ')})`);
    },
    output(name) {
      return (running.get(name) ?? [])
        .map((service, i) => (replicas > 1 ? `--- replica ${i + 1} (pid ${service.pid})\n${service.output()}` : service.output()))
        .join('\n');
    },
    async stopAll() {
      await Promise.all([...running.values()].flat().map((service) => service.stop(15_000)));
    },
  };
  try {
    // One replica after the other: the first runs the migrations.
    for (const name of SERVICE_NAMES) {
      const list: SpawnedService[] = [];
      running.set(name, list);
      for (let i = 0; i < replicas; i += 1) {
        const service = await spawnOne(name);
        list.push(service);
        log(`started ${name}${replicas > 1 ? ` replica ${i + 1}` : ''} at ${service.url} (pid ${service.pid})`);
      }
    }
  } catch (error) {
    await services.stopAll();
    throw error;
  }
  return services;
}
