import { extname, resolve } from 'node:path';

/**
 * The path of a worker thread's entry module `name` beside the module at `filename`, in the
 * form this process runs (`.js` in container images, which compile-for-image transpiles;
 * `.ts` under the swc require hook, which workers inherit through execArgv), or null where a
 * worker could not load it (TypeScript without the hook, e.g. inside jest): the caller then
 * works on its own thread.
 */
export function workerEntry(filename: string, name: string): string | null {
  const extension = extname(filename);
  if (extension === '.js') return resolve(filename, '..', `${name}.js`);
  const hooked = process.execArgv.some((arg) => arg.includes('@swc-node/register'));
  return extension === '.ts' && hooked ? resolve(filename, '..', `${name}.ts`) : null;
}
