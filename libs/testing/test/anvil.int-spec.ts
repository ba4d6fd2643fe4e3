import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { anvilDevKey, startAnvil } from '../src/anvil';

describe('startAnvil', () => {
  it('answers JSON-RPC on its own port and stops by pid', async () => {
    const anvil = await startAnvil({ chainId: 31337 });
    expect(await anvil.rpc<string>('eth_chainId')).toBe('0x7a69');
    const accounts = await anvil.rpc<string[]>('eth_accounts');
    expect(accounts[0].toLowerCase()).toBe(new Wallet(anvilDevKey(0)).address.toLowerCase());
    await anvil.stop();
    expect(() => process.kill(anvil.pid, 0)).toThrow();
    await expect(anvil.rpc('eth_chainId')).rejects.toThrow();
  });

  it('two instances run side by side on different ports', async () => {
    const [a, b] = await Promise.all([startAnvil(), startAnvil()]);
    try {
      expect(a.port).not.toBe(b.port);
      await a.rpc('evm_mine');
      expect(await a.rpc<string>('eth_blockNumber')).toBe('0x1');
      expect(await b.rpc<string>('eth_blockNumber')).toBe('0x0');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('keeps the chain across a restart on the same port with a state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anvil-state-'));
    const statePath = join(dir, 'state.json');
    try {
      const first = await startAnvil({ statePath });
      await first.rpc('evm_mine');
      await first.rpc('evm_mine');
      await first.stop();
      const second = await startAnvil({ port: first.port, statePath });
      try {
        expect(await second.rpc<string>('eth_blockNumber')).toBe('0x2');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
