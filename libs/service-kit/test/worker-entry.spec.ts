import { workerEntry } from '../src/worker-entry';

describe('a worker thread entry beside a module', () => {
  it('is the compiled .js beside a compiled module (container images)', () => {
    expect(workerEntry('/app/services/balancing/src/settlement/merkle-roots.js', 'merkle.worker')).toBe('/app/services/balancing/src/settlement/merkle.worker.js');
  });

  it('is the .ts beside a TypeScript module only under the swc require hook, which workers inherit', () => {
    const hooked = process.execArgv.some((arg) => arg.includes('@swc-node/register'));
    expect(workerEntry('/repo/services/balancing/src/settlement/merkle-roots.ts', 'merkle.worker')).toBe(hooked ? '/repo/services/balancing/src/settlement/merkle.worker.ts' : null);
  });

  it('is null for anything else', () => {
    expect(workerEntry('/repo/x/module.mjs', 'worker')).toBeNull();
  });
});
