import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Reads, from the sources, every `gridledger_*` metric the code creates and the label keys of
 * every place it is recorded, so docs/observability.md can be checked against the code
 * without starting the services. It follows the ways the code records today:
 *
 * - inline: `counter('gridledger_x', …).add(1, { kind })`;
 * - an accessor: `const consumed = () => counter('gridledger_x', …)` or
 *   `{ reorgs: () => counter(…) }`, recorded as `consumed().add(…)` / `metrics.reorgs().add(…)`
 *   anywhere in the same project;
 * - a local: `const values = counter(…)`, recorded as `values.add(…)` in the same file;
 * - an observable gauge whose callback observes the readings of a Map that exported
 *   reporter functions fill: `reportConsumerLag(this, pending, { consumer, stream })`.
 *
 * Attributes must be an object literal (or absent) where recorded; anything else is reported
 * as unreadable, so a new way of recording shows up here instead of passing unchecked.
 */

export interface Recording {
  readonly labels: readonly string[];
  readonly at: string;
}
export interface EmittedMetrics {
  readonly recordings: Map<string, Recording[]>;
  readonly unreadable: string[];
}

const FACTORIES = new Set(['counter', 'histogram']);
const GAUGE_FACTORIES = new Set(['createObservableGauge', 'createObservableCounter', 'createObservableUpDownCounter', 'createCounter', 'createHistogram', 'createUpDownCounter']);
const RECORD_METHODS = new Set(['add', 'record']);

interface Source {
  readonly file: string;
  readonly project: string;
  readonly node: ts.SourceFile;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

function calls(source: ts.SourceFile): ts.CallExpression[] {
  const found: ts.CallExpression[] = [];
  walk(source, (node) => {
    if (ts.isCallExpression(node)) found.push(node);
  });
  return found;
}

/** `f(…)` → f, `a.b.f(…)` → f. */
function calleeName(call: ts.CallExpression): string | undefined {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text;
  if (ts.isPropertyAccessExpression(callee)) return callee.name.text;
  return undefined;
}

function metricName(call: ts.CallExpression): string | undefined {
  const name = calleeName(call);
  if (!name || !(FACTORIES.has(name) || GAUGE_FACTORIES.has(name))) return undefined;
  const first = call.arguments[0];
  return first && ts.isStringLiteral(first) && first.text.startsWith('gridledger_') ? first.text : undefined;
}

/** The call `<receiver>.add(…)` / `.record(…)` when `receiver` is the expression given. */
function recordingOn(receiver: ts.Expression): ts.CallExpression | undefined {
  const access = receiver.parent;
  if (!access || !ts.isPropertyAccessExpression(access) || access.expression !== receiver || !RECORD_METHODS.has(access.name.text)) return undefined;
  return ts.isCallExpression(access.parent) && access.parent.expression === access ? access.parent : undefined;
}

function where(source: Source, node: ts.Node): string {
  const { line } = source.node.getLineAndCharacterOfPosition(node.getStart(source.node));
  return `${source.file}:${line + 1}`;
}

function labelsOf(attributes: ts.Expression | undefined): string[] | undefined {
  if (!attributes) return [];
  if (!ts.isObjectLiteralExpression(attributes)) return undefined;
  const keys: string[] = [];
  for (const property of attributes.properties) {
    if ((ts.isPropertyAssignment(property) || ts.isShorthandPropertyAssignment(property)) && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) {
      keys.push(property.name.text);
    } else {
      return undefined;
    }
  }
  return keys.sort();
}

export function emittedMetrics(root: string, groups: readonly string[]): EmittedMetrics {
  const sources: Source[] = groups.flatMap((group) =>
    readdirSync(join(root, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap((project) => {
        const src = join(root, group, project.name, 'src');
        let files: string[] = [];
        try {
          files = sourcesUnder(src);
        } catch {
          return [];
        }
        return files.map((path) => ({
          file: relative(root, path),
          project: `${group}/${project.name}`,
          node: ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true),
        }));
      }),
  );
  const recordings = new Map<string, Recording[]>();
  const unreadable: string[] = [];
  const record = (metric: string, source: Source, call: ts.CallExpression, attributes: ts.Expression | undefined) => {
    const labels = labelsOf(attributes);
    if (!labels) unreadable.push(`${metric} at ${where(source, call)}`);
    else recordings.set(metric, [...(recordings.get(metric) ?? []), { labels, at: where(source, call) }]);
  };

  for (const source of sources) {
    for (const definition of calls(source.node)) {
      const metric = metricName(definition);
      if (!metric) continue;
      recordings.set(metric, recordings.get(metric) ?? []);
      const parent = definition.parent;

      const inline = recordingOn(definition);
      if (inline) {
        record(metric, source, inline, inline.arguments[1]);
        continue;
      }
      if (ts.isArrowFunction(parent) && parent.body === definition) {
        const holder = parent.parent;
        const accessor = (ts.isVariableDeclaration(holder) || ts.isPropertyAssignment(holder)) && ts.isIdentifier(holder.name) ? holder.name.text : undefined;
        if (!accessor) {
          unreadable.push(`${metric} at ${where(source, definition)} (accessor without a name)`);
          continue;
        }
        for (const user of sources.filter((s) => s.project === source.project)) {
          for (const use of calls(user.node)) {
            if (calleeName(use) !== accessor || use.arguments.length > 0) continue;
            const recording = recordingOn(use);
            if (recording) record(metric, user, recording, recording.arguments[1]);
          }
        }
        continue;
      }
      if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) {
        const local = parent.name.text;
        walk(source.node, (node) => {
          if (ts.isIdentifier(node) && node.text === local && node !== parent.name) {
            const recording = recordingOn(node);
            if (recording) record(metric, source, recording, recording.arguments[1]);
          }
        });
        continue;
      }
      // An observable instrument: `.addCallback((result) => map.forEach((r) => result.observe(r.value, r.attributes)))`.
      const callback = recordingOnCallback(definition);
      const map = callback && observedMap(callback);
      if (!map) {
        unreadable.push(`${metric} at ${where(source, definition)} (not recorded in a way this reader follows)`);
        continue;
      }
      const reporters = reportersOf(source.node, map);
      for (const user of sources.filter((s) => s.project === source.project)) {
        for (const use of calls(user.node)) {
          const name = calleeName(use);
          if (name && reporters.has(name)) record(metric, user, use, use.arguments[reporters.get(name)!]);
        }
      }
    }
  }
  return { recordings, unreadable };
}

/** The callback given to `<definition>.addCallback(cb)`. */
function recordingOnCallback(definition: ts.CallExpression): ts.Expression | undefined {
  const access = definition.parent;
  if (!ts.isPropertyAccessExpression(access) || access.name.text !== 'addCallback') return undefined;
  const call = access.parent;
  return ts.isCallExpression(call) ? call.arguments[0] : undefined;
}

/** `m` in a callback that does `m.forEach(…)`. */
function observedMap(callback: ts.Expression): string | undefined {
  let map: string | undefined;
  walk(callback, (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'forEach' && ts.isIdentifier(node.expression.expression)) {
      map = node.expression.expression.text;
    }
  });
  return map;
}

/** Functions of the file that `map.set(…)` their `attributes` parameter: name → its index. */
function reportersOf(source: ts.SourceFile, map: string): Map<string, number> {
  const reporters = new Map<string, number>();
  walk(source, (node) => {
    if (!ts.isFunctionDeclaration(node) || !node.name || !node.body) return;
    let fills = false;
    walk(node.body, (inner) => {
      if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && inner.expression.name.text === 'set' && ts.isIdentifier(inner.expression.expression) && inner.expression.expression.text === map) fills = true;
    });
    const index = node.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === 'attributes');
    if (fills && index >= 0) reporters.set(node.name.text, index);
  });
  return reporters;
}
