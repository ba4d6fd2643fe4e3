import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { outboxReplaySubject, type OutboxReplayRequest } from '@gridledger/messaging';
import { CliFailure, CliUsageError, messageOf, type CliIo } from './exit-codes';
import { withMessaging } from './nats-connection';

const SERVICES = ['meter-ingest', 'balancing', 'capacity-market', 'chain-bridge'];

interface ReplayOptions {
  readonly service: string;
  readonly from?: string;
  readonly since?: string;
  readonly until?: string;
  readonly subject?: string;
  readonly limit?: string;
  readonly replayId?: string;
  readonly timeoutMs: string;
  readonly json?: boolean;
}

/** `outbox replay`: asks a running service to re-publish outbox rows, over `<service>.outbox.replay`. */
export function registerOutbox(program: Command, io: CliIo): void {
  const outbox = program.command('outbox').description("a service's transactional outbox (NATS_URL, NATS_NAMESPACE)");
  outbox
    .command('replay')
    .description('re-publish already published outbox rows of a running service, so a receiver can heal a gap')
    .requiredOption('--service <name>', `the service whose outbox to replay (${SERVICES.join(', ')})`)
    .option('--from <seq>', 'from this outbox position on (inclusive)')
    .option('--since <iso>', 'rows written at or after this instant, e.g. 2026-11-24T12:00:00Z')
    .option('--until <iso>', 'rows written before this instant')
    .option('--subject <prefix>', 'only this logical subject or subject prefix, e.g. meter.intervals.measured')
    .option('--limit <n>', 'at most this many rows (service default 10,000, max 100,000)')
    .option('--replay-id <id>', 'names the replay; the same id again is deduped by JetStream (default: a fresh one)')
    .option('--timeout-ms <ms>', 'how long to wait for the answer', '30000')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: ReplayOptions) => {
      if (options.from === undefined && options.since === undefined) throw new CliUsageError('say where to start: --from SEQ (outbox position) or --since ISO');
      if (!SERVICES.includes(options.service)) throw new CliUsageError(`unknown service "${options.service}"; one of ${SERVICES.join(', ')}`);
      const request: OutboxReplayRequest = {
        replayId: options.replayId ?? `cli-${randomUUID()}`,
        fromPosition: options.from === undefined ? undefined : integer(options.from, '--from', 0),
        createdFrom: options.since === undefined ? undefined : instant(options.since, '--since'),
        createdTo: options.until === undefined ? undefined : instant(options.until, '--until'),
        subjectPrefix: options.subject,
        limit: options.limit === undefined ? undefined : integer(options.limit, '--limit', 1),
      };
      const timeoutMs = integer(options.timeoutMs, '--timeout-ms', 1);
      const reply = await withMessaging(io.env, async (messaging) => {
        try {
          return await messaging.request<{ replayed?: number; error?: string }>(outboxReplaySubject(options.service), request, timeoutMs);
        } catch (error) {
          throw new CliFailure(`${options.service} did not answer ${outboxReplaySubject(options.service)} within ${timeoutMs} ms (${messageOf(error)}); is it running on this NATS (NATS_URL, NATS_NAMESPACE)?`);
        }
      });
      if (reply.error !== undefined || reply.replayed === undefined) throw new CliFailure(`${options.service} refused the replay: ${reply.error ?? JSON.stringify(reply)}`, reply);
      if (options.json) io.out(`${JSON.stringify({ service: options.service, replayId: request.replayId, replayed: reply.replayed })}\n`);
      else io.out(`${options.service} re-published ${reply.replayed} outbox row${reply.replayed === 1 ? '' : 's'} (replay id ${request.replayId})\n`);
    });
}

function integer(text: string, flag: string, min: number): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) throw new CliUsageError(`${flag} must be an integer ≥ ${min}, got "${text}"`);
  return value;
}

function instant(text: string, flag: string): string {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(ms)) throw new CliUsageError(`${flag} must be an ISO instant like 2026-11-24T12:00:00Z, got "${text}"`);
  return new Date(ms).toISOString();
}
