import { loadKeccak256 } from '@gridledger/domain';

/**
 * Reads `rootOf(groupKey, periodStart, version)` from the cascade with nothing but fetch and
 * a keccak: the check that what the bridge reports is really what the chain holds.
 */
export async function rootOfByPlainRpc(url: string, contract: string, groupId: string, periodStartSeconds: bigint, version: number): Promise<string> {
  const keccak = await loadKeccak256();
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  const selector = hex(keccak.hash(Buffer.from('rootOf(bytes32,uint64,uint32)'))).slice(0, 8);
  const group = hex(keccak.hash(Buffer.from(groupId, 'utf8')));
  const word = (value: bigint) => value.toString(16).padStart(64, '0');
  const data = `0x${selector}${group}${word(periodStartSeconds)}${word(BigInt(version))}`;
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: contract, data }, 'latest'] }),
  });
  const body = (await response.json()) as { result?: string; error?: { message: string } };
  if (!body.result) throw new Error(`eth_call failed: ${body.error?.message}`);
  return body.result;
}
