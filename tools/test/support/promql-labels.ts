/**
 * The metrics a PromQL expression reads and the labels it groups or filters by. Deliberately
 * simple (the dashboard's and the alerts' expressions are simple): every label named in a
 * `by (…)`/`without (…)` or a `{label=…}` selector is taken to apply to every metric of the
 * expression, so a label must be carried by all of them.
 */
const FUNCTIONS = new Set(['sum', 'max', 'min', 'avg', 'count', 'rate', 'increase', 'irate', 'histogram_quantile', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'min_over_time', 'max_over_time', 'avg_over_time', 'topk', 'bottomk', 'abs', 'clamp_min', 'clamp_max', 'delta', 'deriv', 'le', 'bool', 'offset', 'time', 'vector', 'scalar', 'label_replace', 'absent']);

/** Histogram series carry these suffixes on the base name. */
export const baseMetricName = (series: string): string => series.replace(/_(bucket|sum|count)$/, '');

export function metricsIn(expr: string): string[] {
  const withoutGroupings = expr.replace(/\b(?:by|without|on|ignoring)\s*\([^)]*\)/g, ' ').replace(/\{[^}]*\}/g, ' ').replace(/"[^"]*"/g, ' ').replace(/\[[^\]]*\]/g, ' ');
  return [...new Set([...withoutGroupings.matchAll(/\b([a-z_][a-z0-9_]*)\b/g)].map((m) => m[1]).filter((name) => !FUNCTIONS.has(name) && name.includes('_')))].map(baseMetricName);
}

export function labelsIn(expr: string): string[] {
  const grouped = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1].split(',').map((label) => label.trim()));
  const selected = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1].matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]));
  return [...new Set([...grouped, ...selected].filter(Boolean))];
}

/** "metric: label in expr" for every label an expression uses that one of its metrics does not carry (or an unknown metric). */
export function labelProblems(expr: string, carried: ReadonlyMap<string, readonly string[]>): string[] {
  return metricsIn(expr).flatMap((metric) => {
    const labels = carried.get(metric);
    if (!labels) return [`${metric}: unknown metric in ${expr}`];
    return labelsIn(expr)
      .filter((label) => label !== 'le' && !labels.includes(label))
      .map((label) => `${metric}: ${label} in ${expr}`);
  });
}
