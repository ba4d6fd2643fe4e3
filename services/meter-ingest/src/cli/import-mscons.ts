/**
 * Command-line MSCONS import, the third door into the same pipeline: reads the file, checks
 * the MPO's signature over its SHA-256 (or signs it with the MPO key given), and writes
 * values, raw file and events in one transaction to meter-ingest's database. The running
 * service's outbox relay then publishes the events. Importing the same file twice changes
 * nothing and prints the stored answer.
 *
 *   DATABASE_URL=postgres://… MPO_PRIVATE_KEY=0x… \
 *     node -r @swc-node/register services/meter-ingest/src/cli/import-mscons.ts FILE [--period-length PT60M]
 *   (or MPO_ADDRESS=0x… MPO_SIGNATURE=0x… instead of the key)
 *
 * Prints the answer as JSON; exits 0 when stored, 1 when refused (reason on stderr), 2 on usage.
 */
import 'reflect-metadata';
import { readFile } from 'node:fs/promises';
import { Wallet } from 'ethers';
import { DomainError } from '@gridledger/domain';
import { openDataSource } from '@gridledger/persistence';
import { systemClock, toProblem } from '@gridledger/service-kit';
import { fileDigest, signBatchDigest } from '@gridledger/metering';
import { IntakePipeline } from '../intake/intake.pipeline';
import type { IntakeAnswer } from '../intake/intake.types';
import { verifyMsconsSubmission } from '../intake/mscons-submission';
import { MIGRATIONS, SCHEMA } from '../migrations';

export interface MsconsImportOptions {
  readonly file: string;
  readonly databaseUrl: string;
  readonly periodLength?: string;
  /** Either the MPO key (the file is signed here) or its address and a signature. */
  readonly privateKey?: string;
  readonly mpo?: string;
  readonly signature?: string;
  readonly maxEntries?: number;
}

export async function importMsconsFile(options: MsconsImportOptions): Promise<{ answer: IntakeAnswer; replayed: boolean }> {
  const raw = await readFile(options.file);
  let mpo = options.mpo;
  let signature = options.signature;
  if (options.privateKey) {
    const wallet = new Wallet(options.privateKey);
    mpo = wallet.address;
    signature = await signBatchDigest(wallet, 'mscons', fileDigest(raw));
  }
  const submission = verifyMsconsSubmission({ raw, mpo, signature, periodLength: options.periodLength }, 'cli', { maxEntries: options.maxEntries ?? 1_000_000 });
  const dataSource = await openDataSource({ url: options.databaseUrl, schema: SCHEMA, entities: [], migrations: MIGRATIONS });
  try {
    return await new IntakePipeline(dataSource, systemClock).submit(submission);
  } finally {
    await dataSource.destroy();
  }
}

function argValue(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const file = args.find((arg, i) => !arg.startsWith('--') && args[i - 1] !== '--period-length');
  const databaseUrl = process.env.DATABASE_URL;
  if (!file || !databaseUrl || (!process.env.MPO_PRIVATE_KEY && !(process.env.MPO_ADDRESS && process.env.MPO_SIGNATURE))) {
    process.stderr.write('usage: DATABASE_URL=… (MPO_PRIVATE_KEY=… | MPO_ADDRESS=… MPO_SIGNATURE=…) import-mscons.ts FILE [--period-length PT15M|PT60M]\n');
    return 2;
  }
  try {
    const { answer, replayed } = await importMsconsFile({
      file,
      databaseUrl,
      periodLength: argValue(args, '--period-length'),
      privateKey: process.env.MPO_PRIVATE_KEY,
      mpo: process.env.MPO_ADDRESS,
      signature: process.env.MPO_SIGNATURE,
    });
    process.stdout.write(`${JSON.stringify({ replayed, ...answer }, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      process.stderr.write(`${JSON.stringify(toProblem(error).problem)}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
