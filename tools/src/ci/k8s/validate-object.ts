import type { K8sObject } from './render-kustomization';

// Offline validation against the Kubernetes OpenAPI schemas shipped in kubernetes-models 4.x.
// The model class is looked up from apiVersion and kind; an unknown kind is an error.

interface ModelClass {
  new (data: K8sObject): { validate(): void };
}

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  if (!/^[a-z0-9.]+(\/v[0-9a-z]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z]+$/.test(kind)) return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const group = require(`kubernetes-models/${apiVersion}`) as Record<string, unknown>;
    const model = group[kind];
    return typeof model === 'function' ? (model as ModelClass) : undefined;
  } catch {
    return undefined;
  }
}

/** Problems with one object: empty when it is valid. */
export function validateObject(object: K8sObject): string[] {
  const id = `${object.kind}/${object.metadata?.name ?? '?'}`;
  const Model = modelFor(object.apiVersion, object.kind);
  if (!Model) return [`${id}: unknown kind ${object.kind} in ${object.apiVersion}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${id}: ${error instanceof Error ? error.message : String(error)}`];
  }
}
