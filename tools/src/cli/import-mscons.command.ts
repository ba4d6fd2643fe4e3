import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Command } from 'commander';
import { JsonRpcProvider, Wallet } from 'ethers';
import { authEnvironment, bodySha256, signRequest, type AuthEnvironment } from '@gridledger/auth';
import { parseMscons, type Rejection } from '@gridledger/metering';
import { CliFailure, CliUsageError, messageOf, type CliIo } from './exit-codes';
import { ProgressBar, formatBytes } from './progress';

export const DEFAULT_METER_INGEST_URL = 'http://127.0.0.1:3001';

interface ImportOptions {
  readonly url?: string;
  readonly signerKey?: string;
  readonly registry?: string;
  readonly rpc?: string;
  readonly periodLength: string;
  readonly json?: boolean;
}

/** meter-ingest's answer to an upload (services/meter-ingest README, "Answers"). */
interface IntakeAnswer {
  readonly batchId: string;
  readonly status: string;
  readonly mpo: string;
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly groups: readonly { readonly groupId: string; readonly intervals: number }[];
  readonly rejections: readonly Rejection[];
  readonly notes: readonly string[];
}

export interface MsconsImportSummary {
  readonly file: string;
  readonly batchId: string;
  readonly status: string;
  /** True when meter-ingest had this file already: its stored answer, nothing new. */
  readonly replayed: boolean;
  readonly mpo: string;
  readonly accepted: number;
  readonly duplicates: number;
  readonly quarantined: number;
  readonly rejected: number;
  /** Energy of the values meter-ingest holds from this file (accepted and duplicates), integer Wh as a string. */
  readonly storedWh: string;
  readonly groups: IntakeAnswer['groups'];
  readonly rejections: readonly Rejection[];
  readonly notes: readonly string[];
}

/**
 * `import-mscons FILE`: uploads the interchange to meter-ingest's `POST /mscons` as an MPO's
 * client would (signed here with the MPO key, or with a signature made elsewhere), with a
 * progress bar while it goes out, then prints what the service made of it.
 */
export function registerImportMscons(program: Command, io: CliIo): void {
  program
    .command('import-mscons')
    .description('upload an EDIFACT MSCONS file to meter-ingest as a request signed by its MPO (MPO_PRIVATE_KEY; docs/trust.md)')
    .argument('<file>', 'the MSCONS interchange')
    .option('--url <url>', `meter-ingest's base URL (env METER_INGEST_URL, default ${DEFAULT_METER_INGEST_URL})`)
    .option('--signer-key <key>', "the MPO's private key that signs the request (env MPO_PRIVATE_KEY)")
    .option('--registry <address>', 'the RoleRegistry the deployment uses: what the signature is for (env ROLE_REGISTRY_ADDRESS)')
    .option('--rpc <url>', 'the chain, for its chain id (env CHAIN_RPC_URL, default http://127.0.0.1:8545)')
    .option('--period-length <length>', 'PT15M or PT60M', 'PT15M')
    .option('--json', 'print one JSON object on stdout (progress stays on stderr)')
    .action(async (file: string, options: ImportOptions) => {
      const summary = await importMscons(file, options, io);
      io.out(options.json ? `${JSON.stringify(summary)}\n` : readableSummary(summary));
      if (summary.status === 'rejected') throw new CliFailure(`meter-ingest stored none of the values of ${file} (every value rejected; reasons above)`);
    });
}

async function importMscons(file: string, options: ImportOptions, io: CliIo): Promise<MsconsImportSummary> {
  if (!['PT15M', 'PT60M'].includes(options.periodLength)) throw new CliUsageError(`--period-length must be PT15M or PT60M, got "${options.periodLength}"`);
  const raw = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new CliFailure(error.code === 'ENOENT' ? `file not found: ${file}` : `cannot read ${file}: ${error.message}`);
  });
  const wallet = signerOf(options.signerKey ?? io.env.MPO_PRIVATE_KEY);
  const environment = await environmentOf(options.registry ?? io.env.ROLE_REGISTRY_ADDRESS, options.rpc ?? io.env.CHAIN_RPC_URL ?? 'http://127.0.0.1:8545');
  const path = `/mscons?periodLength=${options.periodLength}`;
  const url = `${(options.url ?? io.env.METER_INGEST_URL ?? DEFAULT_METER_INGEST_URL).replace(/\/$/, '')}${path}`;
  // The batch id is the SHA-256 of the file, and the nonce: a re-sent file is recognised.
  const signed = await signRequest(wallet, environment, { method: 'POST', path, body: raw }, { nonce: bodySha256(raw) });
  const progress = new ProgressBar(io.err, io.errIsTTY, `uploading ${file}`, raw.length, formatBytes);
  const response = await upload(url, raw, { 'content-type': 'text/plain', ...signed }, (sent) => progress.update(sent));
  progress.finish('sent, waiting for meter-ingest');
  if (response.status !== 200) throw refusal(file, response);
  const answer = JSON.parse(response.body) as IntakeAnswer;
  return summarize(file, raw, options.periodLength, answer, response.replayed);
}

function signerOf(privateKey: string | undefined): Wallet {
  if (!privateKey) throw new CliFailure('no MPO signer: pass --signer-key KEY or set MPO_PRIVATE_KEY');
  try {
    return new Wallet(privateKey);
  } catch {
    throw new CliFailure('the MPO key (--signer-key or MPO_PRIVATE_KEY) is not a private key: expected 0x and 64 hex digits');
  }
}

/** What the request is signed for: the chain (its id, asked from the node) and the registry. */
async function environmentOf(registry: string | undefined, rpcUrl: string): Promise<AuthEnvironment> {
  if (!registry || !/^0x[0-9a-fA-F]{40}$/.test(registry)) throw new CliFailure('no RoleRegistry: pass --registry ADDRESS or set ROLE_REGISTRY_ADDRESS (the address meter-ingest runs with)');
  const provider = new JsonRpcProvider(rpcUrl, undefined, { staticNetwork: true });
  try {
    return authEnvironment(BigInt(await provider.send('eth_chainId', [])), registry);
  } catch (error) {
    throw new CliFailure(`cannot read the chain id from ${rpcUrl} (--rpc or CHAIN_RPC_URL): ${messageOf(error)}`);
  } finally {
    provider.destroy();
  }
}

interface UploadResponse {
  readonly status: number;
  readonly contentType: string;
  readonly replayed: boolean;
  readonly body: string;
}

/** POSTs the bytes in chunks so the progress bar follows what the socket took. */
function upload(url: string, raw: Buffer, headers: Record<string, string>, onSent: (bytes: number) => void): Promise<UploadResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method: 'POST', headers: { ...headers, 'content-length': String(raw.length) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          replayed: response.headers['idempotent-replayed'] === 'true',
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    request.on('error', (error) => reject(new CliFailure(`cannot reach meter-ingest at ${target.origin} (${messageOf(error)}); start it, or pass --url / set METER_INGEST_URL`)));
    const chunkBytes = 256 * 1024;
    const writeFrom = (offset: number): void => {
      if (offset >= raw.length) {
        request.end();
        return;
      }
      const end = Math.min(raw.length, offset + chunkBytes);
      request.write(raw.subarray(offset, end), () => {
        onSent(end);
        writeFrom(end);
      });
    };
    writeFrom(0);
  });
}

function refusal(file: string, response: UploadResponse): CliFailure {
  if (!response.contentType.startsWith('application/problem+json')) return new CliFailure(`meter-ingest answered ${response.status} to ${file}: ${response.body.slice(0, 500)}`);
  const problem = JSON.parse(response.body) as { code?: string; detail?: string; errors?: { field: string; code: string; reason: string }[] };
  const fields = (problem.errors ?? []).slice(0, 5).map((e) => `\n  ${e.field}: ${e.code} ${e.reason}`);
  const more = (problem.errors?.length ?? 0) > 5 ? `\n  … ${(problem.errors?.length ?? 0) - 5} more (--json lists all)` : '';
  const limits = response.status === 413 ? '\n  (the service\'s limits are METER_INGEST_MAX_BODY_BYTES and METER_INGEST_MAX_BATCH_ENTRIES; raise them there, or split the file)' : '';
  return new CliFailure(`meter-ingest refused ${file} (${response.status} ${problem.code ?? ''}): ${problem.detail ?? ''}${fields.join('')}${more}${limits}`, problem);
}

/** Adds what the answer does not say itself: the energy of the stored values, from the file. */
function summarize(file: string, raw: Buffer, periodLength: string, answer: IntakeAnswer, replayed: boolean): MsconsImportSummary {
  const refusedPaths = answer.rejections.map((r) => r.field);
  const isRefused = (path: string) => refusedPaths.some((field) => field === path || field.startsWith(`${path}.`));
  let storedWh = 0n;
  const interchange = parseMscons(decodeInterchange(raw), { periodLength: periodLength as 'PT15M' | 'PT60M' });
  for (const message of interchange.messages) {
    for (const location of message.locations) {
      for (const value of location.intervals) if (!isRefused(`QTY segment ${value.segmentNumber}`)) storedWh += BigInt(value.energyWh);
    }
  }
  const quarantined = answer.rejections.filter((r) => r.reason.startsWith('quarantined')).length;
  return {
    file,
    batchId: answer.batchId,
    status: answer.status,
    replayed,
    mpo: answer.mpo,
    accepted: answer.accepted,
    duplicates: answer.duplicates,
    quarantined,
    rejected: Math.max(0, answer.rejected - quarantined),
    storedWh: storedWh.toString(),
    groups: answer.groups,
    rejections: answer.rejections,
    notes: answer.notes,
  };
}

/** UTF-8 when it is; otherwise ISO 8859-1 (meter-ingest has already checked the interchange declares it). */
function decodeInterchange(raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return new TextDecoder('latin1').decode(raw);
  }
}

function readableSummary(summary: MsconsImportSummary): string {
  const lines = [
    `${summary.file}: ${summary.status}${summary.replayed ? ' (already imported: the stored answer, nothing new)' : ''}`,
    `  batch id     ${summary.batchId}`,
    `  MPO          ${summary.mpo}`,
    `  accepted     ${summary.accepted.toLocaleString('en')} values`,
    `  duplicates   ${summary.duplicates.toLocaleString('en')} (already stored, same content)`,
    `  quarantined  ${summary.quarantined.toLocaleString('en')} (irregular intervals, not stored)`,
    `  rejected     ${summary.rejected.toLocaleString('en')}`,
    `  energy       ${BigInt(summary.storedWh).toLocaleString('en')} Wh stored from this file`,
    ...summary.groups.map((group) => `  group ${group.groupId}: ${group.intervals.toLocaleString('en')} values`),
  ];
  for (const r of summary.rejections.slice(0, 10)) lines.push(`  - ${r.code} ${r.meterId ?? ''} ${r.field}: ${r.reason}`);
  if (summary.rejections.length > 10) lines.push(`  … ${summary.rejections.length - 10} more (--json lists all)`);
  if (summary.notes.length > 0) lines.push(`  ${summary.notes.length} notes (realignments, gaps; --json lists them)`);
  return `${lines.join('\n')}\n`;
}
