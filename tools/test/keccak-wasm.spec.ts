import { readFileSync } from 'node:fs';
import { KECCAK_WASM_GENERATED, assembleKeccakWasm, generatedSource } from '../src/wasm/keccak-wasm';

describe('the committed keccak WebAssembly module', () => {
  it('is exactly what keccak-wat.ts assembles to (run `npm run wasm:build` after changing the text)', async () => {
    const binary = await assembleKeccakWasm();
    expect(binary.subarray(0, 4).toString('latin1')).toBe('\0asm');
    expect(readFileSync(KECCAK_WASM_GENERATED, 'utf8')).toBe(generatedSource(binary));
  });
});
