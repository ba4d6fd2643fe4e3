import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { readDeadLetters, redriveDeadLetters, type DeadLetter, type DeadLetterQuery } from '@gridledger/messaging';
import { CliFailure, CliUsageError, messageOf, type CliIo } from './exit-codes';
import { withMessaging } from './nats-connection';

interface ListOptions {
  readonly consumer?: string;
  readonly stream?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

interface RedriveOptions {
  readonly consumer?: string;
  readonly stream?: string;
  readonly all?: boolean;
  readonly redriveId?: string;
  readonly json?: boolean;
}

/** `dead-letters list|redrive`: the DEADLETTER stream, read and re-driven through @gridledger/messaging. */
export function registerDeadLetters(program: Command, io: CliIo): void {
  const deadLetters = program.command('dead-letters').description('list dead letters and publish them again after fixing the cause (NATS_URL, NATS_NAMESPACE)');

  deadLetters
    .command('list')
    .description('list dead letters, oldest first')
    .option('--consumer <name>', 'only those this consumer gave up on (e.g. balancing-intervals)')
    .option('--stream <name>', 'only those from this stream (METER, SETTLEMENT, …)')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'print one JSON object on stdout')
    .action(async (options: ListOptions) => {
      const limit = positiveInteger(options.limit ?? '1000', '--limit');
      const letters = await withMessaging(io.env, (messaging) => guarded(() => readDeadLetters(messaging, { consumer: options.consumer, stream: options.stream, limit })));
      if (options.json) {
        io.out(`${JSON.stringify({ deadLetters: letters.map(withoutPayload) })}\n`);
        return;
      }
      if (letters.length === 0) {
        io.out(`no dead letters${options.consumer ? ` of consumer ${options.consumer}` : ''}\n`);
        return;
      }
      for (const letter of letters) {
        io.out(`${letter.deadLetterId}  ${letter.stream} #${letter.streamSequence}  consumer ${letter.consumer}  ${letter.subject}  ${letter.deliveries} deliveries\n    ${letter.reason}\n`);
      }
      io.out(`${letters.length} dead letter${letters.length === 1 ? '' : 's'}; re-drive with: gridledger dead-letters redrive ID (or --all)\n`);
    });

  deadLetters
    .command('redrive')
    .description('publish dead-lettered messages again on their subjects (inboxes apply each event once)')
    .argument('[ids...]', 'dead letter ids, as listed')
    .option('--all', 'every dead letter (of --consumer / --stream when given)')
    .option('--consumer <name>', 'only those this consumer gave up on')
    .option('--stream <name>', 'only those from this stream')
    .option('--redrive-id <id>', 'names the re-drive; the same id again publishes nothing twice (default: a fresh one)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (ids: string[], options: RedriveOptions) => {
      if (ids.length === 0 && !options.all) throw new CliUsageError('name the dead letters to re-drive (ids from `gridledger dead-letters list`) or pass --all');
      if (ids.length > 0 && options.all) throw new CliUsageError('give either dead letter ids or --all, not both');
      const query: DeadLetterQuery = { consumer: options.consumer, stream: options.stream, ids: ids.length > 0 ? ids : undefined, limit: 100_000 };
      const redriveId = options.redriveId ?? randomUUID();
      const redriven = await withMessaging(io.env, async (messaging) => {
        if (ids.length > 0) {
          const found = new Set((await guarded(() => readDeadLetters(messaging, query))).map((letter) => letter.deadLetterId));
          const missing = ids.filter((id) => !found.has(id));
          if (missing.length > 0) throw new CliFailure(`no dead letter ${missing.join(', ')}${options.consumer ? ` of consumer ${options.consumer}` : ''}; see: gridledger dead-letters list`);
        }
        return guarded(() => redriveDeadLetters(messaging, { ...query, redriveId }));
      });
      if (options.json) io.out(`${JSON.stringify({ redriven, redriveId })}\n`);
      else io.out(`re-drove ${redriven} dead letter${redriven === 1 ? '' : 's'} (re-drive id ${redriveId})\n`);
    });
}

function withoutPayload(letter: DeadLetter): Omit<DeadLetter, 'payloadBase64'> & { payloadBytes: number } {
  const { payloadBase64, ...rest } = letter;
  return { ...rest, payloadBytes: Buffer.from(payloadBase64, 'base64').length };
}

function positiveInteger(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new CliUsageError(`${flag} must be a positive integer, got "${text}"`);
  return value;
}

/** The DEADLETTER stream exists once a service has declared its streams in this namespace. */
async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (/stream not found/i.test(messageOf(error))) throw new CliFailure('no DEADLETTER stream on this NATS: no service has started here yet, or NATS_URL / NATS_NAMESPACE point elsewhere');
    throw error;
  }
}
