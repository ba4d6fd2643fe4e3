import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AbiFragment, ContractArtifact } from '../src/artifact';
import { COMPILER_SETTINGS, readSources } from './sources';
// solc ships no types; its compile() takes and returns standard JSON as strings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string, callbacks: { import(path: string): ImportResult }): string; version(): string };

type ImportResult = { contents: string } | { error: string };

export class SolidityCompileError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`solc failed:\n${messages.join('\n')}`);
    this.name = 'SolidityCompileError';
  }
}

const OPENZEPPELIN_DIR = dirname(require.resolve('@openzeppelin/contracts/package.json'));

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: AbiFragment[]; evm: { bytecode: { object: string } } }>>;
}

/** Resolves `@openzeppelin/contracts/...` imports from node_modules. */
function resolveImport(path: string): ImportResult {
  const prefix = '@openzeppelin/contracts/';
  if (!path.startsWith(prefix)) return { error: `import not found: ${path}` };
  try {
    return { contents: readFileSync(join(OPENZEPPELIN_DIR, path.slice(prefix.length)), 'utf8') };
  } catch {
    return { error: `import not found: ${path}` };
  }
}

let cache: ReadonlyMap<string, ContractArtifact> | undefined;

/** Compiles contracts/src with solc-js (via-IR, optimizer, Cancun), once per process. Slow (a minute on a busy machine): build time only. */
export function compileContracts(): ReadonlyMap<string, ContractArtifact> {
  if (cache) return cache;
  const input = {
    language: 'Solidity',
    sources: readSources(),
    settings: {
      ...COMPILER_SETTINGS,
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: resolveImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error').map((e) => e.formattedMessage);
  if (errors.length > 0) throw new SolidityCompileError(errors);
  const artifacts = new Map<string, ContractArtifact>();
  for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
    if (file.startsWith('@openzeppelin/')) continue;
    for (const [contractName, compiled] of Object.entries(contracts)) {
      artifacts.set(contractName, { contractName, abi: compiled.abi, bytecode: `0x${compiled.evm.bytecode.object}` });
    }
  }
  cache = artifacts;
  return artifacts;
}

