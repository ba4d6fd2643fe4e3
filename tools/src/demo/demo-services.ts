import { spawnService, type SpawnedService } from '@gridledger/testing';

/**
 * The four services as child processes, each with its own log in memory, plus the TSO's
 * finalizer: chain-bridge in CHAIN_MODE=finalizer, its own process with its own key. `restart`
 * kills one with SIGKILL and starts it again on the same port with the same environment: what
 * an operator's crash looks like, used by the e2e test.
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
  output(name: ServiceName): string;
  stopAll(): Promise<void>;
}

export async function startServices(envOf: (name: ServiceName) => Record<string, string>, log: (line: string) => void): Promise<DemoServices> {
  const running = new Map<ServiceName, SpawnedService>();
  const spawnOne = async (name: ServiceName, port?: number): Promise<SpawnedService> => {
    const service = await spawnService({ entry: `services/${PROGRAM[name]}/src/main.ts`, env: envOf(name), port, readyTimeoutMs: 60_000 });
    running.set(name, service);
    return service;
  };
  const services: DemoServices = {
    url(name) {
      const service = running.get(name);
      if (!service) throw new Error(`${name} is not running`);
      return service.url;
    },
    async restart(name, how = { graceful: false }) {
      const service = running.get(name);
      if (!service) throw new Error(`${name} is not running`);
      if (how.graceful) {
        await service.stop(15_000);
        log(`stopped ${name} (pid ${service.pid}); starting it again`);
      } else {
        await service.kill();
        log(`killed ${name} (pid ${service.pid}) with SIGKILL; starting it again`);
      }
      const again = await spawnOne(name, service.port);
      log(`${name} is back (pid ${again.pid})`);
    },
    output(name) {
      return running.get(name)?.output() ?? '';
    },
    async stopAll() {
      await Promise.all([...running.values()].map((service) => service.stop(15_000)));
    },
  };
  try {
    for (const name of SERVICE_NAMES) {
      const service = await spawnOne(name);
      log(`started ${name} at ${service.url} (pid ${service.pid})`);
    }
  } catch (error) {
    await services.stopAll();
    throw error;
  }
  return services;
}
