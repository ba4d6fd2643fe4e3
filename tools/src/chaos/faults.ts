import { MeterIntervalsMeasured } from '@gridledger/events';
import { STREAMS } from '@gridledger/messaging';
import type { DemoServices, ServiceName } from '../demo/demo-services';
import type { RunningMarket } from '../demo/market-day';
import type { FaultKind, ScheduledFault } from './fault-schedule';
import type { OwnInfrastructure } from './own-infrastructure';

/**
 * Carries out the schedule's faults on a running market day, one after the other, at the
 * moments the schedule names: after a period's readings were accepted (plus a delay), or,
 * for chain-bridge, once that period starts settling (so the kill lands on a transaction).
 */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly afterPeriod: number;
  readonly detail: string;
  readonly endedAt: number;
}

/** A reorg shallower than the bridge's confirmation depth (the chaos runs use 4). */
export const REORG_DEPTH = 2;

export class FaultInjector {
  readonly injected: InjectedFault[] = [];
  private market: RunningMarket | undefined;

  constructor(
    private readonly infrastructure: OwnInfrastructure,
    private readonly schedule: readonly ScheduledFault[],
    private readonly log: (line: string) => void,
  ) {}

  attach(market: RunningMarket): void {
    this.market = market;
  }

  get lastFaultEndedAt(): number | undefined {
    return this.injected.at(-1)?.endedAt;
  }

  /** Before a period's readings: balancing goes down when a message of this period is to be lost unseen. */
  async beforePeriod(index: number, services: DemoServices): Promise<void> {
    if (this.schedule.some((f) => f.afterPeriod === index && f.kind === 'delete-stream-message')) await services.crash('balancing');
  }

  async afterPeriod(index: number, services: DemoServices): Promise<void> {
    for (const fault of this.schedule.filter((f) => f.afterPeriod === index)) {
      const detail = await this.strike(fault, services);
      this.injected.push({ kind: fault.kind, afterPeriod: index, detail, endedAt: Date.now() });
      this.log(`fault ${this.injected.length}/${this.schedule.length}: ${fault.kind} after period ${index + 1} (+${fault.delayMs} ms): ${detail}`);
    }
  }

  private async strike(fault: ScheduledFault, services: DemoServices): Promise<string> {
    const market = this.required();
    const periodId = market.periodIds[fault.afterPeriod];
    const kill = async (name: ServiceName, moment: string): Promise<string> => {
      await services.restart(name);
      return `${name} killed (SIGKILL) ${moment} and restarted`;
    };
    if (fault.kind === 'kill-chain-bridge') {
      const settling = await until(() => market.population.groups.some((g) => market.observations.settled.has(`${g}|${periodId}`)), 30_000);
      await sleep(fault.delayMs);
      return kill('chain-bridge', settling ? `${fault.delayMs} ms after ${periodId} was settled (its commit in flight)` : 'at a quiet moment');
    }
    if (fault.kind === 'delete-stream-message') return this.deleteMeasured(fault.afterPeriod, services);
    await sleep(fault.delayMs);
    switch (fault.kind) {
      case 'kill-meter-ingest':
        return kill('meter-ingest', `${fault.delayMs} ms after ${periodId} was accepted (its outbox publishing)`);
      case 'kill-balancing':
        return kill('balancing', `${fault.delayMs} ms after ${periodId} was accepted (mid-settlement)`);
      case 'kill-capacity-market':
        return kill('capacity-market', `${fault.delayMs} ms after ${periodId} was accepted`);
      case 'restart-nats':
        await this.infrastructure.restartNats();
        return 'nats-server stopped and started again on its JetStream store';
      case 'restart-postgres':
        await this.infrastructure.restartPostgres();
        return 'Postgres stopped in immediate mode (a crash) and started again';
      case 'evm-reorg': {
        const before = Number(await this.infrastructure.anvil().rpc<string>('eth_blockNumber'));
        await this.infrastructure.anvil().rpc('anvil_reorg', [REORG_DEPTH, []]);
        return `anvil_reorg: the last ${REORG_DEPTH} blocks below ${before} replaced (their transactions dropped)`;
      }
      case 'restart-evm':
        await this.infrastructure.restartEvm();
        return `anvil stopped (state dumped) and started again at block ${Number(await this.infrastructure.anvil().rpc<string>('eth_blockNumber'))}`;
      case 'dead-letter':
        return this.poison();
      default:
        throw new Error(`no way to inject ${fault.kind}`);
    }
  }

  /** Deletes one measured event of the period from the METER stream before balancing (down) reads it. */
  private async deleteMeasured(index: number, services: DemoServices): Promise<string> {
    const market = this.required();
    const periodId = market.periodIds[index];
    const stream = market.messaging.streamName(STREAMS.METER.name);
    const groups = market.population.groups;
    const groupId = groups[index % groups.length];
    const subject = market.messaging.subject(MeterIntervalsMeasured.subject(groupId));
    let deleted = '';
    await until(async () => {
      const message = await market.messaging.jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => undefined);
      if (!message || !message.string().includes(periodId)) return false;
      await market.messaging.jsm.streams.deleteMessage(stream, message.seq);
      deleted = `measured event seq ${message.seq} of ${groupId} ${periodId} deleted from ${stream} (${message.data.length} bytes) while balancing was down`;
      return true;
    }, 30_000);
    await services.revive('balancing');
    return deleted || `no measured event of ${groupId} ${periodId} found to delete`;
  }

  /** A message no consumer can read, on the measured subject: balancing must dead-letter it and go on. */
  private async poison(): Promise<string> {
    const market = this.required();
    const deadLetters = market.messaging.streamName(STREAMS.DEADLETTER.name);
    const count = async (): Promise<number> => (await market.messaging.jsm.streams.info(deadLetters).catch(() => undefined))?.state.messages ?? 0;
    const before = await count();
    const subject = market.messaging.subject(MeterIntervalsMeasured.subject(market.population.groups[0]));
    await market.messaging.js.publish(subject, Buffer.from(JSON.stringify({ type: MeterIntervalsMeasured.type, data: { chaos: 'not an event' } })));
    const seen = await until(async () => (await count()) > before, 30_000);
    return seen ? `poison message on ${subject} dead-lettered (DEADLETTER ${before} → ${await count()})` : `poison message on ${subject} published; no dead letter within 30 s`;
  }

  private required(): RunningMarket {
    if (!this.market) throw new Error('the fault injector runs only on a running market');
    return this.market;
  }
}

async function until(predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return true;
    await sleep(100);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
