import { join, resolve } from 'node:path';
import { JsonRpcProvider, Wallet } from 'ethers';
import { AnvilInstance, anvilDevKey, startAnvil } from '@gridledger/testing';
import { runCommand } from '../src/ci/run-command';
import { K8sObject, renderKustomization } from '../src/ci/k8s/render-kustomization';

const ROOT = resolve(__dirname, '..', '..');

jest.setTimeout(180_000);

/**
 * The dev overlay's deploy-contracts Job, its command exactly as the overlay renders it, run
 * as a real process against a fresh anvil on a random port: it must deploy to exactly the
 * address the overlay carries, and the services' init-container check must then pass.
 */
describe('the dev overlay deploy-contracts Job against a fresh anvil', () => {
  const objects = renderKustomization(join(ROOT, 'k8s', 'overlays', 'dev'));
  const at = (kind: string, name: string, ...path: (string | number)[]): unknown =>
    path.reduce<unknown>((value, key) => (value as Record<string, unknown>)[key as string], objects.find((o) => o.kind === kind && o.metadata.name === name) as K8sObject);
  const jobArgs = at('Job', 'deploy-contracts', 'spec', 'template', 'spec', 'containers', 0, 'args') as string[];
  const initArgs = at('Deployment', 'chain-finalizer', 'spec', 'template', 'spec', 'initContainers', 0, 'args') as string[];
  const expected = at('ConfigMap', 'chain-bridge', 'data', 'CHAIN_CASCADE_ADDRESS') as string;
  const adminKey = Buffer.from(at('Secret', 'gridledger-chain-admin', 'data', 'admin-key') as string, 'base64').toString('utf8');
  let anvil: AnvilInstance;

  const run = async (args: string[], key: string | undefined = adminKey) => {
    const env: NodeJS.ProcessEnv = { ...process.env, CHAIN_RPC_URL: anvil.url, CHAIN_CASCADE_ADDRESS: expected };
    delete env.CHAIN_ADMIN_KEY;
    if (key) env.CHAIN_ADMIN_KEY = key;
    // Kubernetes expands $(VAR) in args from the container's env; the init container uses it.
    const expanded = args.map((a) => a.replace(/\$\((\w+)\)/g, (_m, name: string) => env[name] ?? ''));
    const result = await runCommand(process.execPath, ['-r', '@swc-node/register', 'tools/src/chain/cli.ts', ...expanded], env, ROOT, 120_000);
    const last = result.output.trim().split('\n').at(-1) ?? '';
    return { exitCode: result.exitCode, output: result.output, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : null };
  };

  beforeEach(async () => {
    anvil = await startAnvil();
  });
  afterEach(() => anvil?.stop());

  it('deploys to the address the overlay carries, with the grants; re-running and the init check only verify', async () => {
    const deployed = await run(jobArgs);
    expect([deployed.exitCode, deployed.output]).toEqual([0, expect.stringContaining(`deployed SettlementCascade (its own RoleRegistry) at ${expected}`)]);
    expect(deployed.json).toMatchObject({ cascadeAddress: expected, deployedNow: true });
    const provider = new JsonRpcProvider(anvil.url);
    expect(await provider.getCode(expected)).not.toBe('0x');
    const nonceAfter = await provider.getTransactionCount(new Wallet(adminKey).address);
    provider.destroy();

    const again = await run(jobArgs);
    expect([again.exitCode, again.json]).toEqual([0, expect.objectContaining({ cascadeAddress: expected, deployedNow: false })]);
    const waited = await run(initArgs, undefined);
    expect([waited.exitCode, waited.json]).toEqual([0, expect.objectContaining({ cascadeAddress: expected, deployedNow: false })]);
    const check = new JsonRpcProvider(anvil.url);
    expect(await check.getTransactionCount(new Wallet(adminKey).address)).toBe(nonceAfter);
    check.destroy();
  });

  it('finishes the grants of a deployment cut short', async () => {
    const grants = jobArgs.flatMap((value, i) => (jobArgs[i - 1] === '--grant' ? [value] : []));
    const groups = jobArgs[jobArgs.indexOf('--groups') + 1];
    const partial = await run(['deploy', '--groups', groups, '--grant', grants[0]]);
    expect([partial.exitCode, partial.json?.cascadeAddress]).toEqual([0, expected]);
    expect((await run(initArgs.map((a, i) => (initArgs[i - 1] === '--wait-ms' ? '1500' : a)), undefined)).output).toContain('lacks:');
    const finished = await run(jobArgs);
    expect(finished.exitCode).toBe(0);
    expect(finished.json).toMatchObject({ cascadeAddress: expected, deployedNow: false, granted: expect.arrayContaining([expect.stringContaining('TSO')]) });
    expect((finished.json?.granted as string[]).length).toBe(grants.length - 1);
    expect((await run(initArgs, undefined)).exitCode).toBe(0);
  });

  it('refuses to deploy elsewhere when the deployer has already used its first nonce, and the init check keeps waiting', async () => {
    const provider = new JsonRpcProvider(anvil.url);
    const admin = new Wallet(adminKey, provider);
    await (await admin.sendTransaction({ to: new Wallet(anvilDevKey(5)).address, value: 1n })).wait();
    provider.destroy();
    const refused = await run(jobArgs);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain(`not the expected ${expected}`);
    const waiting = await run(initArgs.map((a, i) => (initArgs[i - 1] === '--wait-ms' ? '1500' : a)), undefined);
    expect(waiting.exitCode).toBe(1);
    expect(waiting.output).toContain(`no contract at ${expected} yet`);
  });
});
