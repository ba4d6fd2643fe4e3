/**
 * Pro-rata sharing of an integer total by integer weights with the largest-remainder
 * (Hamilton) method: everyone gets floor(total × weight / denominator), then the Wh left
 * over go one each to the largest remainders. Ties go to the claim that comes first in the
 * given order, so callers fix the tie-break by how they order the claims. The parts sum to
 * the total exactly whenever the weights sum to the denominator.
 *
 * One implementation behind two entry points: `largestRemainder` on bigints (any size) and
 * `largestRemainderInto` on typed arrays (the allocation engine's hot loop). Both compute in
 * doubles while total × denominator ≤ 2^53 − 1: every product total × weight is then at most
 * total × denominator, so products, quotients and remainders are exact integers. Beyond
 * that both take the same bigint path.
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
  if (total * denominator > MAX_SAFE_BIG) return bigLargestRemainder(total, weights, denominator);
  // Weights ≤ denominator ≤ 2^53 − 1 here, so they convert to doubles exactly.
  const parts = new Float64Array(weights.length);
  doubleLargestRemainder(Number(total), Float64Array.from(weights, Number), weights.length, Number(denominator), parts);
  return Array.from(parts, BigInt);
}

/**
 * The typed-array entry point: shares `total` by `weights[0, count)` into `parts[0, count)`.
 * Total and weights are non-negative safe integers and the weights sum to `denominator`
 * (checked); every part is at most the total, so parts are safe integers too. Scratch
 * space is reused between calls, so a million small calls allocate nothing per call.
 */
export function largestRemainderInto(total: number, weights: Float64Array, count: number, denominator: number, parts: Float64Array): void {
  if (!Number.isSafeInteger(denominator) || denominator <= 0) throw new RangeError('denominator must be a positive safe integer');
  if (!Number.isSafeInteger(total) || total < 0) throw new RangeError('total must be a non-negative safe integer');
  if (count > weights.length || count > parts.length) throw new RangeError('count exceeds the weights or parts');
  let weightSum = 0;
  for (let i = 0; i < count; i++) {
    const weight = weights[i];
    if (!Number.isSafeInteger(weight) || weight < 0) throw new RangeError('weights must be non-negative safe integers');
    // Once past the denominator the (monotone) sum never comes back, so rounding beyond 2^53 cannot fake equality.
    weightSum += weight;
  }
  if (weightSum !== denominator) throw new RangeError(`weights sum to ${weightSum}, not to the denominator ${denominator}`);
  // The double product is exact up to 2^53 − 1 and rounds to at least 2^53 beyond, so the test is exact.
  if (total * denominator > Number.MAX_SAFE_INTEGER) {
    const bigParts = bigLargestRemainder(BigInt(total), Array.from(weights.subarray(0, count), BigInt), BigInt(denominator));
    for (let i = 0; i < count; i++) parts[i] = Number(bigParts[i]);
    return;
  }
  doubleLargestRemainder(total, weights, count, denominator, parts);
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Grown on demand and reused: the hot loop calls this once per plant. */
let remainderScratch = new Float64Array(64);
let orderScratch = new Int32Array(64);

/** Requires total × denominator ≤ 2^53 − 1 (see the module comment). */
function doubleLargestRemainder(total: number, weights: Float64Array, count: number, denominator: number, parts: Float64Array): void {
  if (remainderScratch.length < count) {
    remainderScratch = new Float64Array(count * 2);
    orderScratch = new Int32Array(count * 2);
  }
  const remainders = remainderScratch;
  let given = 0;
  for (let i = 0; i < count; i++) {
    const product = total * weights[i];
    const quota = exactFloorDivision(product, denominator);
    const remainder = product - quota * denominator;
    parts[i] = quota;
    remainders[i] = remainder;
    given += quota;
  }
  // The remainders sum to leftover × denominator and each is below the denominator, so leftover < count.
  const leftover = total - given;
  if (leftover === 0) return;
  if (leftover === 1) {
    // Common for small plants: one linear scan; `>` keeps the earlier claim on a tie.
    let best = 0;
    for (let i = 1; i < count; i++) if (remainders[i] > remainders[best]) best = i;
    parts[best] += 1;
    return;
  }
  const order = orderScratch;
  for (let i = 0; i < count; i++) order[i] = i;
  selectFirstRanked(leftover, remainders, order, count);
  for (let k = 0; k < leftover; k++) parts[order[k]] += 1;
}

/**
 * floor(numerator / denominator) for integers 0 ≤ numerator ≤ 2^53 − 1 and denominator ≥ 1,
 * by division and floor instead of `%` (a C call for doubles). Exact: for the rounded quotient
 * x ∈ [2^e, 2^(e+1)) to reach the integer above, the gap of at least 1 / denominator would have
 * to be within half an ulp, 2^(e − 53); then denominator ≥ 2^(53 − e) and numerator ≥ 2^53.
 * quotient × denominator ≤ numerator is then exact, and so is the remainder.
 */
export function exactFloorDivision(numerator: number, denominator: number): number {
  return Math.floor(numerator / denominator);
}

/** Claim a ranks before claim b: larger remainder, on a tie the earlier claim. A strict total order. */
function ranksBefore(remainders: Float64Array, a: number, b: number): boolean {
  return remainders[a] > remainders[b] || (remainders[a] === remainders[b] && a < b);
}

/**
 * Moves the k best-ranked claims into order[0, k) (in no particular order) by quickselect:
 * O(count) on average, where a full sort is O(count log count) and k is often count / 2.
 * After too many rounds (adversarial remainders) the remaining range is sorted instead.
 */
function selectFirstRanked(k: number, remainders: Float64Array, order: Int32Array, count: number): void {
  let lo = 0;
  let hi = count - 1;
  let rounds = 2 * Math.ceil(Math.log2(count + 1)) + 4;
  while (hi > lo) {
    if (rounds-- === 0) {
      const sorted = order.subarray(lo, hi + 1).sort((a, b) => (ranksBefore(remainders, a, b) ? -1 : 1));
      order.set(sorted, lo);
      return;
    }
    const pivot = medianOfThree(remainders, order[lo], order[(lo + hi) >>> 1], order[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (ranksBefore(remainders, order[i], pivot)) i++;
      while (ranksBefore(remainders, pivot, order[j])) j--;
      if (i <= j) {
        const swap = order[i];
        order[i] = order[j];
        order[j] = swap;
        i++;
        j--;
      }
    }
    // Now order[lo, j] rank no later than the pivot and order[i, hi] no earlier; between them, the pivot.
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}

function medianOfThree(remainders: Float64Array, a: number, b: number, c: number): number {
  if (ranksBefore(remainders, a, b)) {
    if (ranksBefore(remainders, b, c)) return b;
    return ranksBefore(remainders, a, c) ? c : a;
  }
  if (ranksBefore(remainders, a, c)) return a;
  return ranksBefore(remainders, b, c) ? c : b;
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
    // Rare (products beyond 2^53): a full sort is fine here.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (remainders[b] > remainders[a] ? 1 : remainders[b] < remainders[a] ? -1 : a - b));
    for (let k = 0; k < leftover; k++) quotas[order[k]] += 1n;
  }
  return quotas;
}
