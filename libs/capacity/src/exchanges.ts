import { compareIds } from './period-allocation';
import { GroupExchange } from './period-book';

/**
 * What to publish for a period's version n: every pair of this version, plus a zero for each
 * pair that an earlier version scheduled and this one no longer has. Balancing keeps the
 * latest version per pair, so this keeps its schedule equal to the latest computation.
 */
export function exchangesToPublish(previouslyPublished: readonly GroupExchange[], current: readonly GroupExchange[]): GroupExchange[] {
  const key = (e: GroupExchange): string => `${e.fromGroup}\u0000${e.toGroup}`;
  const byKey = new Map<string, GroupExchange>();
  for (const exchange of previouslyPublished) byKey.set(key(exchange), { fromGroup: exchange.fromGroup, toGroup: exchange.toGroup, energyWh: 0n });
  for (const exchange of current) byKey.set(key(exchange), exchange);
  return [...byKey.values()].sort((a, b) => compareIds(a.fromGroup, b.fromGroup) || compareIds(a.toGroup, b.toGroup));
}
