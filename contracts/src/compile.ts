import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
// solc ships no types; its compile() takes and returns standard JSON as strings.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const solc = require('solc') as { compile(input: string, callbacks: { import(path: string): ImportResult }): string; version(): string };

type ImportResult = { contents: string } | { error: string };

export interface ContractArtifact {
  readonly contractName: string;
  readonly abi: readonly AbiFragment[];
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: string;
}

/** One ABI entry as solc emits it; ethers accepts these as they are. */
export interface AbiFragment {
  readonly type: string;
  readonly name?: string;
  readonly [key: string]: unknown;
}

export class SolidityCompileError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`solc failed:\n${messages.join('\n')}`);
    this.name = 'SolidityCompileError';
  }
}

const SOURCE_DIR = __dirname;
const OPENZEPPELIN_DIR = dirname(require.resolve('@openzeppelin/contracts/package.json'));

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<string, Record<string, { abi: AbiFragment[]; evm: { bytecode: { object: string } } }>>;
}

/** Every .sol under contracts/src, keyed by the path solc sees. */
function readSources(): Record<string, { content: string }> {
  const sources: Record<string, { content: string }> = {};
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else if (entry.name.endsWith('.sol')) sources[`${prefix}${entry.name}`] = { content: readFileSync(join(dir, entry.name), 'utf8') };
    }
  };
  walk(SOURCE_DIR, '');
  return sources;
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

/** Compiles contracts/src with solc-js (optimizer on, Cancun), once per process. */
export function compileContracts(): ReadonlyMap<string, ContractArtifact> {
  if (cache) return cache;
  const input = {
    language: 'Solidity',
    sources: readSources(),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: 'cancun',
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

export function artifactOf(contractName: string): ContractArtifact {
  const artifact = compileContracts().get(contractName);
  if (!artifact) throw new Error(`no contract named ${contractName} in contracts/src`);
  return artifact;
}
