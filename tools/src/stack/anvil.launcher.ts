import { startAnvil as startAnvilNode } from '@gridledger/testing';
import { StackComponent } from './stack-component';

// The EVM dev node: anvil from the npm package @foundry-rs/anvil, through the same launcher
// the integration tests use (it runs the binary itself and stops that PID).

export async function startAnvil(port: number): Promise<StackComponent> {
  const node = await startAnvilNode({ port });
  const chainId = BigInt(await node.rpc<string>('eth_chainId'));
  return {
    name: 'EVM node',
    url: node.url,
    origin: 'started',
    description: `anvil (chain id ${chainId}), pid ${node.pid}`,
    stop: () => node.stop(),
  };
}
