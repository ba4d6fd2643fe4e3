import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isObject, Json, JsonObject, strategicMerge } from './strategic-merge';

// A small kustomize for the subset k8s/ uses: resources (files and directories), namespace,
// labels (pairs, includeTemplates, includeSelectors) and commonLabels, images (newName,
// newTag) and patches (strategic merge of whole objects, matched by kind and name). Anything
// else in a kustomization is an error, so nothing is silently ignored.

export interface K8sObject extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string };
}

const SUPPORTED_KEYS = new Set(['apiVersion', 'kind', 'namespace', 'resources', 'labels', 'commonLabels', 'images', 'patches']);
const CLUSTER_SCOPED_KINDS = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass', 'CustomResourceDefinition', 'PriorityClass']);
const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

interface LabelsEntry {
  pairs: Record<string, string>;
  includeSelectors?: boolean;
  includeTemplates?: boolean;
}
interface ImageEntry {
  name: string;
  newName?: string;
  newTag?: string;
}
interface PatchEntry {
  path?: string;
  patch?: string;
}

export class KustomizeError extends Error {
  constructor(directory: string, reason: string) {
    super(`${directory}: ${reason}`);
    this.name = 'KustomizeError';
  }
}

export function renderKustomization(directory: string): K8sObject[] {
  const dir = resolve(directory);
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new KustomizeError(dir, 'no kustomization.yaml');
  const kustomization = parseYamlDocuments(file)[0];
  if (!kustomization) throw new KustomizeError(dir, 'empty kustomization.yaml');
  const unsupported = Object.keys(kustomization).filter((key) => !SUPPORTED_KEYS.has(key));
  if (unsupported.length > 0) throw new KustomizeError(dir, `unsupported fields: ${unsupported.join(', ')}`);

  let objects = listOf<string>(kustomization.resources).flatMap((entry) => loadResource(dir, entry));
  objects = applyPatches(dir, objects, listOf<PatchEntry>(kustomization.patches));
  if (typeof kustomization.namespace === 'string') objects = objects.map((o) => withNamespace(o, kustomization.namespace as string));
  for (const entry of listOf<LabelsEntry>(kustomization.labels)) objects = objects.map((o) => withLabels(o, entry));
  if (isObject(kustomization.commonLabels)) {
    const pairs = kustomization.commonLabels as Record<string, string>;
    objects = objects.map((o) => withLabels(o, { pairs, includeSelectors: true, includeTemplates: true }));
  }
  const images = listOf<ImageEntry>(kustomization.images);
  if (images.length > 0) objects = objects.map((o) => withImages(o, images));
  assertUnique(dir, objects);
  return objects;
}

function listOf<T>(value: Json | undefined): T[] {
  return Array.isArray(value) ? (value as unknown as T[]) : [];
}

function parseYamlDocuments(file: string): K8sObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).flatMap((document) => {
    if (document.errors.length > 0) throw new KustomizeError(file, document.errors.map((e) => e.message).join('; '));
    const value = document.toJSON() as Json;
    return isObject(value) ? [value as K8sObject] : [];
  });
}

function loadResource(dir: string, entry: string): K8sObject[] {
  const path = resolve(dir, entry);
  if (!existsSync(path)) throw new KustomizeError(dir, `resource ${entry} does not exist`);
  if (statSync(path).isDirectory()) return renderKustomization(path);
  return parseYamlDocuments(path).map((object) => {
    if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string' || typeof object.metadata?.name !== 'string') {
      throw new KustomizeError(path, 'every object needs apiVersion, kind and metadata.name');
    }
    return object;
  });
}

const identity = (o: K8sObject): string => `${o.kind}/${o.metadata.name}`;

function applyPatches(dir: string, objects: K8sObject[], patches: PatchEntry[]): K8sObject[] {
  let result = objects;
  for (const entry of patches) {
    const documents = entry.path
      ? parseYamlDocuments(resolve(dir, entry.path))
      : entry.patch
        ? parseAllDocuments(entry.patch).map((d) => d.toJSON() as K8sObject)
        : [];
    if (documents.length === 0) throw new KustomizeError(dir, 'a patch needs a path or an inline patch');
    for (const patch of documents) {
      const target = identity(patch);
      if (!result.some((o) => identity(o) === target)) throw new KustomizeError(dir, `patch target ${target} is not among the resources`);
      result = result.map((o) => (identity(o) === target ? (strategicMerge(o, patch) as K8sObject) : o));
    }
  }
  return result;
}

function withNamespace(object: K8sObject, namespace: string): K8sObject {
  if (object.kind === 'Namespace') return { ...object, metadata: { ...object.metadata, name: namespace } };
  if (CLUSTER_SCOPED_KINDS.has(object.kind)) return object;
  return { ...object, metadata: { ...object.metadata, namespace } };
}

function addLabels(target: Json | undefined, pairs: Record<string, string>): JsonObject {
  return { ...(isObject(target) ? target : {}), ...pairs };
}

function withLabels(object: K8sObject, entry: LabelsEntry): K8sObject {
  let result: K8sObject = { ...object, metadata: { ...object.metadata, labels: addLabels(object.metadata.labels, entry.pairs) } };
  const spec = result.spec;
  if (!isObject(spec)) return result;
  if (entry.includeTemplates && POD_TEMPLATE_KINDS.has(object.kind) && isObject(spec.template)) {
    const template = spec.template;
    const metadata = isObject(template.metadata) ? template.metadata : {};
    result = { ...result, spec: { ...spec, template: { ...template, metadata: { ...metadata, labels: addLabels(metadata.labels, entry.pairs) } } } };
    // kustomize labels a StatefulSet's volume claim templates as templates too.
    const claims = (result.spec as JsonObject).volumeClaimTemplates;
    if (object.kind === 'StatefulSet' && Array.isArray(claims)) {
      const labelled = claims.map((claim) => {
        if (!isObject(claim)) return claim;
        const claimMetadata = isObject(claim.metadata) ? claim.metadata : {};
        return { ...claim, metadata: { ...claimMetadata, labels: addLabels(claimMetadata.labels, entry.pairs) } };
      });
      result = { ...result, spec: { ...(result.spec as JsonObject), volumeClaimTemplates: labelled } };
    }
  }
  if (entry.includeSelectors) {
    const current = result.spec as JsonObject;
    if (object.kind === 'Service' && isObject(current.selector)) result = { ...result, spec: { ...current, selector: addLabels(current.selector, entry.pairs) } };
    else if (isObject(current.selector) && isObject(current.selector.matchLabels)) {
      result = { ...result, spec: { ...current, selector: { ...current.selector, matchLabels: addLabels(current.selector.matchLabels, entry.pairs) } } };
    }
  }
  return result;
}

/** Rewrites `image` fields anywhere in the object whose repository matches an entry. */
function withImages(object: K8sObject, images: ImageEntry[]): K8sObject {
  const rewrite = (value: Json, key?: string): Json => {
    if (key === 'image' && typeof value === 'string') {
      const at = value.lastIndexOf(':');
      const hasTag = at > value.lastIndexOf('/');
      const repository = hasTag ? value.slice(0, at) : value;
      const entry = images.find((i) => i.name === repository);
      if (!entry) return value;
      const tag = entry.newTag ?? (hasTag ? value.slice(at + 1) : undefined);
      return `${entry.newName ?? repository}${tag ? `:${tag}` : ''}`;
    }
    if (Array.isArray(value)) return value.map((item) => rewrite(item));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, k)]));
    return value;
  };
  return rewrite(object) as K8sObject;
}

function assertUnique(dir: string, objects: K8sObject[]): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = identity(object);
    if (seen.has(id)) throw new KustomizeError(dir, `${id} is defined twice`);
    seen.add(id);
  }
}
