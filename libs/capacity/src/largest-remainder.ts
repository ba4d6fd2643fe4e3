/**
 * Pro-rata sharing of an integer total by integer weights with the largest-remainder
 * (Hamilton) method: everyone gets floor(total × weight / denominator), then the Wh left
 * over go one each to the largest remainders. Ties go to the claim that comes first in the
 * given order, so callers fix the tie-break by how they order the claims. The parts sum to
 * the total exactly whenever the weights sum to the denominator.
 */
export function largestRemainder(total: bigint, weights: readonly bigint[], denominator: bigint): bigint[] {
  if (denominator <= 0n) throw new RangeError('denominator must be positive');
  if (total < 0n) throw new RangeError('total must not be negative');
  let weightSum = 0n;
  for (const weight of weights) {
    if (weight < 0n) throw new RangeError('weights must not be negative');
    weightSum += weight;
  }
  if (weightSum !== denominator) throw new RangeError(`weights sum to ${weightSum}, not to the denominator ${denominator}`);
  // Exact in doubles while every product stays below 2^53; bigint otherwise.
  if (total * denominator <= BigInt(Number.MAX_SAFE_INTEGER)) return smallLargestRemainder(total, weights, denominator);
  return bigLargestRemainder(total, weights, denominator);
}

function smallLargestRemainder(totalBig: bigint, weights: readonly bigint[], denominatorBig: bigint): bigint[] {
  const total = Number(totalBig);
  const denominator = Number(denominatorBig);
  const n = weights.length;
  const quotas = new Array<number>(n);
  const remainders = new Float64Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const product = total * Number(weights[i]);
    const remainder = product % denominator;
    quotas[i] = (product - remainder) / denominator;
    remainders[i] = remainder;
    given += quotas[i];
  }
  distributeLeftover(total - given, remainders, quotas);
  return quotas.map((quota) => BigInt(quota));
}

function bigLargestRemainder(total: bigint, weights: readonly bigint[], denominator: bigint): bigint[] {
  const n = weights.length;
  const quotas = new Array<bigint>(n);
  const remainders = new Array<bigint>(n);
  let given = 0n;
  for (let i = 0; i < n; i++) {
    const product = total * weights[i];
    quotas[i] = product / denominator;
    remainders[i] = product % denominator;
    given += quotas[i];
  }
  const leftover = Number(total - given);
  if (leftover > 0) {
    const order = byRemainderDescending(n, (a, b) => (remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : a - b));
    for (let k = 0; k < leftover; k++) quotas[order[k]] += 1n;
  }
  return quotas;
}

function distributeLeftover(leftover: number, remainders: Float64Array, quotas: number[]): void {
  if (leftover <= 0) return;
  if (leftover === 1) {
    // The common case for small plants: one Wh left, one linear scan.
    let best = 0;
    for (let i = 1; i < remainders.length; i++) if (remainders[i] > remainders[best]) best = i;
    quotas[best] += 1;
    return;
  }
  const order = byRemainderDescending(remainders.length, (a, b) => remainders[b] - remainders[a] || a - b);
  for (let k = 0; k < leftover; k++) quotas[order[k]] += 1;
}

function byRemainderDescending(n: number, compare: (a: number, b: number) => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return order.sort(compare);
}
