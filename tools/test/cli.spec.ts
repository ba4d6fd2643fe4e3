import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { runCli } from '../src/cli/main';
import { ProgressBar } from '../src/cli/progress';
import type { CliIo } from '../src/cli/exit-codes';

const REPO_ROOT = resolve(__dirname, '..', '..');

/** Runs one command line in-process with captured output. */
async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => void (out += text), err: (text) => void (err += text), env, errIsTTY: false };
  const code = await runCli(argv, io);
  return { code, out, err };
}

describe('gridledger command line', () => {
  it('--help lists every command and the exit codes, exit 0', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['import-mscons', 'dead-letters', 'outbox', 'stack', 'chain']) expect(help.out).toContain(command);
    expect(help.out).toContain('2 usage error');
  });

  it('each command has its own help naming its flags', async () => {
    const importHelp = await run(['import-mscons', '--help']);
    expect(importHelp.code).toBe(0);
    expect(importHelp.out).toMatch(/--signer-key[\s\S]*MPO_PRIVATE_KEY/);
    expect(importHelp.out).toContain('--json');
    expect((await run(['outbox', 'replay', '--help'])).out).toMatch(/--service[\s\S]*--from[\s\S]*--since/);
    expect((await run(['dead-letters', 'redrive', '--help'])).out).toMatch(/--all[\s\S]*--consumer/);
  });

  it('an unknown command exits 2 naming it', async () => {
    const unknown = await run(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
  });

  it('chain delegates to the chain commands: its usage, and exit 2 naming a bad subcommand or value', async () => {
    const help = await run(['chain', 'help']);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^usage: gridledger chain <command>[\s\S]*deploy[\s\S]*CHAIN_ADMIN_KEY/);
    const unknown = await run(['chain', 'frob']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown command frob');
    const badAccount = await run(['chain', 'grant', '--role', 'BRP', '--group', 'BG-1', '--account', 'me', '--cascade', `0x${'01'.repeat(20)}`]);
    expect(badAccount.code).toBe(2);
    expect(badAccount.err).toContain('account must be a 0x address');
  });

  it('an unknown option and a missing argument exit 2 naming them', async () => {
    const option = await run(['dead-letters', 'list', '--colour']);
    expect(option).toMatchObject({ code: 2 });
    expect(option.err).toContain("unknown option '--colour'");
    const missing = await run(['import-mscons']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("missing required argument 'file'");
    const noService = await run(['outbox', 'replay', '--since', '2026-11-24T12:00:00Z']);
    expect(noService.code).toBe(2);
    expect(noService.err).toContain('--service');
  });

  it('checks flag values before touching anything: exit 2 naming the flag', async () => {
    const noStart = await run(['outbox', 'replay', '--service', 'balancing']);
    expect(noStart.code).toBe(2);
    expect(noStart.err).toContain('--from SEQ (outbox position) or --since ISO');
    const badSince = await run(['outbox', 'replay', '--service', 'balancing', '--since', 'yesterday']);
    expect(badSince.code).toBe(2);
    expect(badSince.err).toContain('--since must be an ISO instant');
    const badService = await run(['outbox', 'replay', '--service', 'ledger', '--from', '1']);
    expect(badService.code).toBe(2);
    expect(badService.err).toContain('unknown service "ledger"');
    const nothingToRedrive = await run(['dead-letters', 'redrive']);
    expect(nothingToRedrive.code).toBe(2);
    expect(nothingToRedrive.err).toContain('or pass --all');
    const badPeriod = await run(['import-mscons', 'file.txt', '--period-length', 'PT5M']);
    expect(badPeriod.code).toBe(2);
    expect(badPeriod.err).toContain('--period-length must be PT15M or PT60M');
  });

  it('a missing file exits 1 naming it; a missing signer exits 1 naming the flag and variables', async () => {
    const missing = await run(['import-mscons', 'no/such/interchange.txt', '--signer-key', `0x${'11'.repeat(32)}`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('file not found: no/such/interchange.txt');
    const unsigned = await run(['import-mscons', resolve(REPO_ROOT, 'package.json')]);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toMatch(/no MPO signer: pass --signer-key KEY or set MPO_PRIVATE_KEY/);
    const badKey = await run(['import-mscons', resolve(REPO_ROOT, 'package.json'), '--signer-key', 'not-a-key']);
    expect(badKey.code).toBe(1);
    expect(badKey.err).toContain('not a private key');
  });

  it('an unreachable service or broker exits 1 naming the variable to set', async () => {
    const closed = 'http://127.0.0.1:1';
    // A signed request names its chain and registry: without them, or without the chain, it says what to set.
    const unregistered = await run(['import-mscons', resolve(REPO_ROOT, 'package.json'), '--signer-key', `0x${'11'.repeat(32)}`, '--url', closed], { ROLE_REGISTRY_ADDRESS: '' });
    expect(unregistered.code).toBe(1);
    expect(unregistered.err).toContain('--registry ADDRESS or set ROLE_REGISTRY_ADDRESS');
    const importing = await run(['import-mscons', resolve(REPO_ROOT, 'package.json'), '--signer-key', `0x${'11'.repeat(32)}`, '--url', closed, '--registry', `0x${'22'.repeat(20)}`, '--rpc', closed]);
    expect(importing.code).toBe(1);
    expect(importing.err).toContain('cannot read the chain id from http://127.0.0.1:1');
    expect(importing.err).toContain('CHAIN_RPC_URL');
    const listing = await run(['dead-letters', 'list'], { NATS_URL: 'nats://127.0.0.1:1' });
    expect(listing.code).toBe(1);
    expect(listing.err).toContain('cannot connect to NATS at nats://127.0.0.1:1');
  });

  it('the bin launcher runs the same program from any directory, with the same exit codes', () => {
    const launcher = resolve(REPO_ROOT, 'tools', 'bin', 'gridledger.js');
    const help = spawnSync(process.execPath, [launcher, '--help'], { cwd: resolve(REPO_ROOT, 'services'), encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('import-mscons');
    const unknown = spawnSync(process.execPath, [launcher, 'frobnicate'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
  }, 60_000);
});

describe('progress bar', () => {
  it('writes a line per tenth when stderr is not a terminal, and redraws in place when it is', () => {
    const lines: string[] = [];
    const plain = new ProgressBar((text) => lines.push(text), false, 'uploading', 1000);
    for (let done = 0; done <= 1000; done += 50) plain.update(done);
    plain.finish('sent');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('uploading 0% (0/1000)\n');
    expect(lines[10]).toBe('uploading 100% (1000/1000)\n');
    expect(lines[11]).toBe('uploading: sent\n');

    const drawn: string[] = [];
    const tty = new ProgressBar((text) => drawn.push(text), true, 'uploading', 4);
    tty.update(2);
    tty.finish('sent');
    expect(drawn[0]).toMatch(/^\ruploading \[#{15}-{15}\]  50% 2\/4$/);
    expect(drawn.slice(-2)).toEqual([expect.stringMatching(/^\ruploading \[#{30}\] 100% 4\/4$/), ' sent\n']);
  });
});
