import { resolve } from 'node:path';
import { Wallet } from 'ethers';
import { AnvilInstance, anvilDevKey, startAnvil } from '@gridledger/testing';
import { runCommand } from '../src/ci/run-command';

const ROOT = resolve(__dirname, '..', '..');

jest.setTimeout(180_000);

/** `npm run chain -- …` as an operator runs it: a real process against a real node. */
describe('npm run chain', () => {
  let anvil: AnvilInstance;
  const brp = new Wallet(anvilDevKey(1)).address;
  const nextBrp = new Wallet(anvilDevKey(2)).address;
  const tso = new Wallet(anvilDevKey(3)).address;

  const chain = async (...args: string[]): Promise<{ exitCode: number; output: string; json: Record<string, unknown> | null }> => {
    const env = { ...process.env, CHAIN_RPC_URL: anvil.url, CHAIN_ADMIN_KEY: anvilDevKey(0) };
    const result = await runCommand(process.execPath, ['-r', '@swc-node/register', 'tools/src/chain/cli.ts', ...args], env, ROOT, 120_000);
    const last = result.output.trim().split('\n').at(-1) ?? '';
    return { exitCode: result.exitCode, output: result.output, json: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : null };
  };

  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(() => anvil?.stop());

  it('deploys with groups and grants, reports the status, revokes and grants a BRP', async () => {
    const deployed = await chain('deploy', '--groups', 'GRP-A,GRP-B', '--grant', `BRP:GRP-A:${brp}`, '--grant', `TSO:${tso}`, '--correction-window-ms', '86400000', '--admin-delay-ms', '3600000');
    expect(deployed.exitCode).toBe(0);
    const address = deployed.json?.cascadeAddress as string;
    expect(address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(deployed.output).toContain(`CHAIN_CASCADE_ADDRESS=${address}`);

    const status = await chain('status', '--cascade', address, '--groups', 'GRP-A,GRP-B,GRP-C', '--check', `BRP:GRP-A:${brp}`, '--check', `TSO:${tso}`);
    expect(status.exitCode).toBe(0);
    expect(status.json).toMatchObject({
      cascadeAddress: address,
      admin: new Wallet(anvilDevKey(0)).address,
      adminDelaySeconds: 3600,
      correctionWindowSeconds: 86400,
      groupsRequiredNow: 2,
      groups: [
        { groupId: 'GRP-A', registered: true, brp },
        { groupId: 'GRP-B', registered: true, brp: null },
        { groupId: 'GRP-C', registered: false },
      ],
      roles: [
        { role: 'BRP', scope: 'GRP-A', account: brp, holds: true },
        { role: 'TSO', scope: null, account: tso, holds: true },
      ],
    });

    expect((await chain('revoke', '--cascade', address, '--role', 'BRP', '--group', 'GRP-A', '--account', brp)).json).toMatchObject({ changed: true });
    expect((await chain('grant', '--cascade', address, '--role', 'BRP', '--group', 'GRP-A', '--account', nextBrp)).json).toMatchObject({ changed: true });
    const after = await chain('status', '--cascade', address, '--groups', 'GRP-A', '--check', `BRP:GRP-A:${brp}`);
    expect(after.json).toMatchObject({ groups: [{ groupId: 'GRP-A', brp: nextBrp }], roles: [{ holds: false }] });

    // The roles of issue 11, each with its kind of scope.
    expect((await chain('grant', '--cascade', address, '--role', 'MARKET_OPERATOR', '--account', tso)).json).toMatchObject({ changed: true });
    expect((await chain('grant', '--cascade', address, '--role', 'DSO', '--scope', 'GA-1', '--account', brp)).json).toMatchObject({ changed: true });
    expect((await chain('grant', '--cascade', address, '--role', 'PLANT_OPERATOR', '--scope', 'WIND-1', '--account', brp)).json).toMatchObject({ changed: true });
    const roles = await chain('status', '--cascade', address, '--check', `MARKET_OPERATOR:${tso}`, '--check', `DSO:GA-1:${brp}`, '--check', `DSO:GRP-A:${brp}`, '--check', `PLANT_OPERATOR:WIND-1:${brp}`);
    expect((roles.json?.roles as { holds: boolean }[]).map((r) => r.holds)).toEqual([true, true, false, true]);
    expect((await chain('revoke', '--cascade', address, '--role', 'DSO', '--scope', 'GA-1', '--account', brp)).json).toMatchObject({ changed: true });
    expect((await chain('grant', '--cascade', address, '--role', 'DSO', '--account', brp)).exitCode).toBe(2);
  });

  it('refuses a bad command line with the usage (exit 2) and a refused transaction with its reason (exit 1)', async () => {
    const usage = await chain('grant', '--role', 'BRP', '--account', brp);
    expect(usage.exitCode).toBe(2);
    expect(usage.output).toContain('usage: npm run chain');
    const deployed = await chain('deploy', '--groups', 'GRP-A');
    const refused = await chain('grant', '--cascade', deployed.json?.cascadeAddress as string, '--role', 'BRP', '--group', 'GRP-X', '--account', brp);
    expect(refused.exitCode).toBe(1);
    expect(refused.output).toContain('the contract refused it (execution reverted): RoleRegistryGroupNotActive(');
  });
});
