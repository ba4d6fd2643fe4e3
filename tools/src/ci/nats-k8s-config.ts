import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { passwordsFromServerEnvironment, renderNatsAuthorization } from '@gridledger/messaging';

/**
 * Rewrites the generated authorization block of k8s/base/nats.yaml from NATS_USERS
 * (libs/messaging/src/nats-access.ts), between its BEGIN/END markers:
 *   node -r @swc-node/register tools/src/ci/nats-k8s-config.ts
 * tools/test/nats-k8s.spec.ts fails while the two differ.
 */
export const NATS_K8S_CONFIG = resolve(__dirname, '..', '..', '..', 'k8s', 'base', 'nats.yaml');
const BEGIN = '    # BEGIN generated authorization (nats-access.ts)\n';
const END = '    # END generated authorization\n';

export function withGeneratedAuthorization(manifest: string): string {
  const start = manifest.indexOf(BEGIN);
  const end = manifest.indexOf(END);
  if (start < 0 || end < start) throw new Error(`k8s/base/nats.yaml: the markers "${BEGIN.trim()}" and "${END.trim()}" are missing`);
  return `${manifest.slice(0, start + BEGIN.length)}${renderNatsAuthorization({ passwords: passwordsFromServerEnvironment() }, '    ')}\n${manifest.slice(end)}`;
}

if (require.main === module) {
  const before = readFileSync(NATS_K8S_CONFIG, 'utf8');
  const after = withGeneratedAuthorization(before);
  writeFileSync(NATS_K8S_CONFIG, after);
  console.log(before === after ? 'k8s/base/nats.yaml: authorization block already up to date' : 'k8s/base/nats.yaml: authorization block regenerated');
}
