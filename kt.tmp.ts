import { keccakWat, KECCAK_WASM_DATA_OFFSET } from './libs/domain/src/merkle/keccak-wat';
import { keccak256 } from 'ethers';
// eslint-disable-next-line
const wabtInit = require('wabt');
(async () => {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('keccak.wat', keccakWat(), { bulk_memory: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  console.log('bytes', buffer.length);
  const inst = new WebAssembly.Instance(new WebAssembly.Module(buffer), {});
  const ex: any = inst.exports;
  const mem = () => new Uint8Array(ex.memory.buffer);
  for (const len of [0, 1, 31, 32, 33, 64, 135, 136, 137, 200, 271, 272, 273, 500]) {
    const input = Buffer.alloc(len).map((_, i) => (i * 7 + len) & 255);
    mem().set(input, KECCAK_WASM_DATA_OFFSET);
    ex.hash(KECCAK_WASM_DATA_OFFSET, len, KECCAK_WASM_DATA_OFFSET + 600);
    const got = '0x' + Buffer.from(mem().subarray(KECCAK_WASM_DATA_OFFSET + 600, KECCAK_WASM_DATA_OFFSET + 632)).toString('hex');
    if (got !== keccak256(input)) console.log('MISMATCH', len, got, keccak256(input));
  }
  console.log('done');
  const N = 1000000; ex.memory.grow(2000);
  const t = process.hrtime.bigint();
  ex.merkleNodes(KECCAK_WASM_DATA_OFFSET, N - 1);
  console.log('1M pairs ms', Number(process.hrtime.bigint() - t) / 1e6);
})();
