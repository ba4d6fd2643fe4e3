import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ManagedProcess } from './managed-process';
import { probeEvm } from './probes';
import { StackComponent } from './stack-component';
import { waitUntil } from './wait-until';

// anvil from the npm package @foundry-rs/anvil: run the platform binary itself, because
// killing `npx anvil` leaves anvil running; we stop this PID.

export function anvilBinaryPath(): string {
  const candidates = ['@foundry-rs/anvil-linux-amd64', '@foundry-rs/anvil-linux-arm64', '@foundry-rs/anvil-darwin-arm64', '@foundry-rs/anvil-darwin-amd64'];
  for (const pkg of candidates) {
    try {
      const binary = join(dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'anvil');
      if (existsSync(binary)) return binary;
    } catch {
      // Not installed for this platform.
    }
  }
  throw new Error('the anvil binary was not found: run `npm install` (the @foundry-rs/anvil install script must run; it is listed in package.json allowScripts)');
}

export async function startAnvil(port: number): Promise<StackComponent> {
  const node = ManagedProcess.start('anvil', anvilBinaryPath(), ['--host', '127.0.0.1', '--port', String(port), '--silent']);
  const url = `http://127.0.0.1:${port}`;
  let chainId = 0n;
  try {
    await waitUntil(
      `anvil on port ${port}`,
      async () => {
        if (node.hasExited) throw new Error(`anvil exited during start-up:\n${node.output()}`);
        const probe = await probeEvm(url, 500);
        if (probe.ok) chainId = probe.detail.chainId;
        return probe.ok;
      },
      15000,
    );
  } catch (error) {
    await node.stop();
    throw error;
  }
  return {
    name: 'EVM node',
    url,
    origin: 'started',
    description: `anvil (chain id ${chainId}), pid ${node.pid}`,
    stop: () => node.stop(),
  };
}
