/**
 * The source of the project's keccak-256 WebAssembly module, as WebAssembly text. The module
 * is assembled once by `npm run build:keccak-wasm` (wabt) into keccak-wasm.generated.ts; a
 * unit test assembles this text again and compares, so the committed binary is always this
 * source. Generated rather than hand-written so the permutation's 24 rounds of 25 lanes come
 * from the specification's formulas (FIPS 202, 3.2), not from typed tables.
 *
 * Why a module of our own: a Merkle tree of a million meters is five million permutations, and
 * a call from JavaScript per hash (copy in, call, copy out) cost as much as the permutation.
 * Here whole batches run inside WebAssembly: many messages hashed in one call (`hashMany`),
 * and every inner node of a tree in one call (`merkleNodes`).
 *
 * Two messages at a time: where a batch has two messages of the same number of blocks side by
 * side (a period's leaves, salts and every pair of nodes of a tree level are), both go through
 * one permutation on 128-bit SIMD lanes (i64x2), which costs far less than two.
 *
 * Memory: the sponge state at 0 (200 bytes), the padded last block at 256 (136 bytes), two
 * pairs of nodes at 512 and 576 (64 bytes each), the round constants at 640 (24 × 8 bytes), the
 * two-lane state at 1024 (25 × 16 bytes), the two padded last blocks at 1536 and 1680; the
 * caller's data from KECCAK_WASM_DATA_OFFSET on.
 */
export const KECCAK_WASM_DATA_OFFSET = 2048;

const STATE = 0;
const LAST_BLOCK = 256;
const PAIR = 512;
const PAIR_B = 576;
const ROUND_CONSTANTS = 640;
const STATE2 = 1024;
const LAST_BLOCK_A = 1536;
const LAST_BLOCK_B = 1680;
/** Keccak-256's rate: 1088 bits, 17 lanes of 8 bytes. */
const RATE_LANES = 17;
const RATE_BYTES = RATE_LANES * 8;

/** The 24 round constants of ι, from the LFSR rc(t) of FIPS 202, 3.2.5. */
export function keccakRoundConstants(): bigint[] {
  const rc = (t: number): number => {
    let r = 1;
    for (let i = 0; i < t % 255; i++) {
      r <<= 1;
      if (r & 0x100) r ^= 0x171;
    }
    return r & 1;
  };
  return Array.from({ length: 24 }, (_, round) => {
    let constant = 0n;
    for (let j = 0; j <= 6; j++) if (rc(j + 7 * round)) constant |= 1n << BigInt((1 << j) - 1);
    return constant;
  });
}

/** ρ's rotation of lane (x, y) (index x + 5y), from FIPS 202, 3.2.2. */
function rotationOffsets(): number[] {
  const offsets = new Array<number>(25).fill(0);
  let [x, y] = [1, 0];
  for (let t = 0; t < 24; t++) {
    offsets[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
}

/** The lane operations of a permutation over one state (i64) or two side by side (v128 as i64x2). */
interface LaneOps {
  readonly type: 'i64' | 'v128';
  /** One lane of the state in memory: 8 bytes, or 16 for two states side by side. */
  readonly laneBytes: number;
  xor(a: string, b: string): string;
  rotl(a: string, bits: number): string;
  /** ~a & b */
  andNot(a: string, b: string): string;
  load(offset: number): string;
  store(offset: number, value: string): string;
  /** The round constant at `address` (an i32 expression), in every lane. */
  roundConstant(address: string): string;
  /** The absorbing function's parameters: one block ($a) or two ($a, $b), one per state. */
  readonly blockParams: string;
  /** Lane `offset` of the block(s) being absorbed. */
  blockLane(offset: number): string;
}

const ONE_STATE: LaneOps = {
  type: 'i64',
  laneBytes: 8,
  xor: (a, b) => `(i64.xor ${a} ${b})`,
  rotl: (a, bits) => `(i64.rotl ${a} (i64.const ${bits}))`,
  andNot: (a, b) => `(i64.and (i64.xor ${a} (i64.const -1)) ${b})`,
  load: (offset) => `(i64.load offset=${offset} (i32.const 0))`,
  store: (offset, value) => `(i64.store offset=${offset} (i32.const 0) ${value})`,
  roundConstant: (address) => `(i64.load offset=${ROUND_CONSTANTS} ${address})`,
  blockParams: '(param $a i32)',
  blockLane: (offset) => `(i64.load offset=${offset} (local.get $a))`,
};

const TWO_STATES: LaneOps = {
  type: 'v128',
  laneBytes: 16,
  xor: (a, b) => `(v128.xor ${a} ${b})`,
  // WebAssembly has no i64x2 rotate: two shifts and an or.
  rotl: (a, bits) => `(v128.or (i64x2.shl ${a} (i32.const ${bits})) (i64x2.shr_u ${a} (i32.const ${64 - bits})))`,
  // v128.andnot(x, y) is x & ~y.
  andNot: (a, b) => `(v128.andnot ${b} ${a})`,
  load: (offset) => `(v128.load offset=${offset} (i32.const 0))`,
  store: (offset, value) => `(v128.store offset=${offset} (i32.const 0) ${value})`,
  roundConstant: (address) => `(i64x2.splat (i64.load offset=${ROUND_CONSTANTS} ${address}))`,
  blockParams: '(param $a i32) (param $b i32)',
  blockLane: (offset) => `(i64x2.replace_lane 1 (i64x2.splat (i64.load offset=${offset} (local.get $a))) (i64.load offset=${offset} (local.get $b)))`,
};

/** One round (θ, ρ, π, χ) over locals $a0..$a24 through $b0..$b24, $c0..$c4, $d; ι by the caller. */
function roundBody(ops: LaneOps): string[] {
  const lines: string[] = [];
  const a = (i: number): string => `(local.get $a${i})`;
  for (let x = 0; x < 5; x++) lines.push(`(local.set $c${x} ${ops.xor(ops.xor(ops.xor(ops.xor(a(x), a(x + 5)), a(x + 10)), a(x + 15)), a(x + 20))})`);
  for (let x = 0; x < 5; x++) {
    lines.push(`(local.set $d ${ops.xor(`(local.get $c${(x + 4) % 5})`, ops.rotl(`(local.get $c${(x + 1) % 5})`, 1))})`);
    for (let y = 0; y < 5; y++) lines.push(`(local.set $a${x + 5 * y} ${ops.xor(a(x + 5 * y), '(local.get $d)')})`);
  }
  // ρ and π: B[y, 2x + 3y] = rotl(A[x, y], r[x, y]).
  const offsets = rotationOffsets();
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      const target = y + 5 * ((2 * x + 3 * y) % 5);
      const offset = offsets[x + 5 * y];
      lines.push(`(local.set $b${target} ${offset === 0 ? a(x + 5 * y) : ops.rotl(a(x + 5 * y), offset)})`);
    }
  }
  // χ: A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y]).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const b = (dx: number): string => `(local.get $b${((x + dx) % 5) + 5 * y})`;
      lines.push(`(local.set $a${x + 5 * y} ${ops.xor(b(0), ops.andNot(b(1), b(2)))})`);
    }
  }
  return lines;
}

/** Keccak-f[1600] on the state at `state`, one lane wide (i64) or two (v128). */
function permuteFunction(name: string, ops: LaneOps, state: number): string {
  const lanes = Array.from({ length: 25 }, (_, i) => i);
  return [
    `(func ${name}`,
    `  ${lanes.map((i) => `(local $a${i} ${ops.type})`).join(' ')}`,
    `  ${lanes.map((i) => `(local $b${i} ${ops.type})`).join(' ')}`,
    `  ${[0, 1, 2, 3, 4].map((i) => `(local $c${i} ${ops.type})`).join(' ')} (local $d ${ops.type}) (local $round i32)`,
    ...lanes.map((i) => `  (local.set $a${i} ${ops.load(state + ops.laneBytes * i)})`),
    '  (loop $rounds',
    ...roundBody(ops).map((line) => `    ${line}`),
    `    (local.set $a0 ${ops.xor('(local.get $a0)', ops.roundConstant('(i32.shl (local.get $round) (i32.const 3))'))})`,
    '    (local.set $round (i32.add (local.get $round) (i32.const 1)))',
    '    (br_if $rounds (i32.lt_u (local.get $round) (i32.const 24))))',
    ...lanes.map((i) => `  ${ops.store(state + ops.laneBytes * i, `(local.get $a${i})`)}`),
    ')',
  ].join('\n');
}

/** XORs one rate-sized block into each state: at $a (one state), or at $a and $b (two). */
function absorbBlockFunction(name: string, ops: LaneOps, state: number): string {
  const lanes = Array.from({ length: RATE_LANES }, (_, i) => i);
  return [
    `(func ${name} ${ops.blockParams}`,
    ...lanes.map((i) => `  ${ops.store(state + ops.laneBytes * i, ops.xor(ops.load(state + ops.laneBytes * i), ops.blockLane(8 * i)))}`),
    ')',
  ].join('\n');
}

/** The rest of a message (under one block) at $input into the block at $block, with Keccak's padding (0x01 … 0x80; Ethereum's keccak, not SHA-3's 0x06). */
function lastBlock(block: number, input: string, length: string): string {
  return `(memory.fill (i32.const ${block}) (i32.const 0) (i32.const ${RATE_BYTES}))
  (memory.copy (i32.const ${block}) ${input} ${length})
  (i32.store8 offset=${block} ${length} (i32.const 0x01))
  (i32.store8 offset=${block + RATE_BYTES - 1} (i32.const 0) (i32.or (i32.load8_u offset=${block + RATE_BYTES - 1} (i32.const 0)) (i32.const 0x80)))`;
}

/** keccak256($length bytes at $input) to the 32 bytes at $output (which may overlap the input). */
function hashFunction(): string {
  return `(func $hash (export "hash") (param $input i32) (param $length i32) (param $output i32)
  (memory.fill (i32.const ${STATE}) (i32.const 0) (i32.const 200))
  (block $absorbed
    (loop $blocks
      (br_if $absorbed (i32.lt_u (local.get $length) (i32.const ${RATE_BYTES})))
      (call $absorbBlock (local.get $input))
      (call $permute)
      (local.set $input (i32.add (local.get $input) (i32.const ${RATE_BYTES})))
      (local.set $length (i32.sub (local.get $length) (i32.const ${RATE_BYTES})))
      (br $blocks)))
  ${lastBlock(LAST_BLOCK, '(local.get $input)', '(local.get $length)')}
  (call $absorbBlock (i32.const ${LAST_BLOCK}))
  (call $permute)
  (memory.copy (local.get $output) (i32.const ${STATE}) (i32.const 32)))`;
}

/**
 * Two hashes in one pass of two-lane permutations: $lengthA bytes at $a to $outA, $lengthB
 * bytes at $b to $outB. The two messages must have the same number of whole blocks (callers
 * check: `sameBlocks`); outputs may overlap inputs.
 */
function hash2Function(): string {
  const digestLanes = [0, 1, 2, 3];
  return `(func $hash2 (param $a i32) (param $lengthA i32) (param $b i32) (param $lengthB i32) (param $outA i32) (param $outB i32)
  (local $lane v128)
  (memory.fill (i32.const ${STATE2}) (i32.const 0) (i32.const 400))
  (block $absorbed
    (loop $blocks
      (br_if $absorbed (i32.lt_u (local.get $lengthA) (i32.const ${RATE_BYTES})))
      (call $absorbBlock2 (local.get $a) (local.get $b))
      (call $permute2)
      (local.set $a (i32.add (local.get $a) (i32.const ${RATE_BYTES})))
      (local.set $b (i32.add (local.get $b) (i32.const ${RATE_BYTES})))
      (local.set $lengthA (i32.sub (local.get $lengthA) (i32.const ${RATE_BYTES})))
      (local.set $lengthB (i32.sub (local.get $lengthB) (i32.const ${RATE_BYTES})))
      (br $blocks)))
  ${lastBlock(LAST_BLOCK_A, '(local.get $a)', '(local.get $lengthA)')}
  ${lastBlock(LAST_BLOCK_B, '(local.get $b)', '(local.get $lengthB)')}
  (call $absorbBlock2 (i32.const ${LAST_BLOCK_A}) (i32.const ${LAST_BLOCK_B}))
  (call $permute2)
  ${digestLanes
    .map(
      (i) => `(local.set $lane (v128.load offset=${STATE2 + 16 * i} (i32.const 0)))
  (i64.store offset=${8 * i} (local.get $outA) (i64x2.extract_lane 0 (local.get $lane)))
  (i64.store offset=${8 * i} (local.get $outB) (i64x2.extract_lane 1 (local.get $lane)))`,
    )
    .join('\n  ')})`;
}

/** Whether messages of $lengthA and $lengthB bytes have the same number of whole blocks (and so can share hash2). */
function sameBlocks(lengthA: string, lengthB: string): string {
  return `(i32.eq (i32.div_u ${lengthA} (i32.const ${RATE_BYTES})) (i32.div_u ${lengthB} (i32.const ${RATE_BYTES})))`;
}

/**
 * `count` messages laid end to end at $input, message i ending at byte $ends[i] (u32, from
 * $input), hashed to 32 bytes each at $output + 32·i; with $twice, each digest hashed again
 * (StandardMerkleTree's leaf: keccak256(keccak256(encoding))). Neighbours of the same number
 * of blocks are hashed together (hash2).
 */
function hashManyFunction(): string {
  return `(func (export "hashMany") (param $input i32) (param $ends i32) (param $count i32) (param $output i32) (param $twice i32)
  (local $i i32) (local $start i32) (local $end i32) (local $endB i32) (local $digest i32)
  (block $done
    (loop $messages
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $digest (i32.add (local.get $output) (i32.shl (local.get $i) (i32.const 5))))
      (if (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $count))
        (then
          (local.set $endB (i32.load offset=4 (i32.add (local.get $ends) (i32.shl (local.get $i) (i32.const 2)))))
          (if ${sameBlocks('(i32.sub (local.get $end) (local.get $start))', '(i32.sub (local.get $endB) (local.get $end))')}
            (then
              (call $hash2
                (i32.add (local.get $input) (local.get $start)) (i32.sub (local.get $end) (local.get $start))
                (i32.add (local.get $input) (local.get $end)) (i32.sub (local.get $endB) (local.get $end))
                (local.get $digest) (i32.add (local.get $digest) (i32.const 32)))
              (if (local.get $twice)
                (then (call $hash2 (local.get $digest) (i32.const 32) (i32.add (local.get $digest) (i32.const 32)) (i32.const 32) (local.get $digest) (i32.add (local.get $digest) (i32.const 32)))))
              (local.set $start (local.get $endB))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (br $messages)))))
      (call $hash (i32.add (local.get $input) (local.get $start)) (i32.sub (local.get $end) (local.get $start)) (local.get $digest))
      (if (local.get $twice) (then (call $hash (local.get $digest) (i32.const 32) (local.get $digest))))
      (local.set $start (local.get $end))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $messages))))`;
}

/** Byte order of the 32-byte words at $left and $right: 1 if $left is greater, else 0. */
function leftGreaterFunction(): string {
  return `(func $leftGreater (param $left i32) (param $right i32) (result i32)
  (local $i i32) (local $l i32) (local $r i32)
  (loop $bytes
    (local.set $l (i32.load8_u (i32.add (local.get $left) (local.get $i))))
    (local.set $r (i32.load8_u (i32.add (local.get $right) (local.get $i))))
    (if (i32.ne (local.get $l) (local.get $r)) (then (return (i32.gt_u (local.get $l) (local.get $r)))))
    (local.set $i (i32.add (local.get $i) (i32.const 1)))
    (br_if $bytes (i32.lt_u (local.get $i) (i32.const 32))))
  (i32.const 0))`;
}

/** Node $node's two children (32-byte words at $nodes + 32·(2·node+1)), smaller first, into the 64 bytes at $pair. */
function sortedPairFunction(): string {
  return `(func $sortedPair (param $nodes i32) (param $node i32) (param $pair i32)
  (local $left i32) (local $right i32)
  (local.set $left (i32.add (local.get $nodes) (i32.shl (i32.add (i32.shl (local.get $node) (i32.const 1)) (i32.const 1)) (i32.const 5))))
  (local.set $right (i32.add (local.get $left) (i32.const 32)))
  (if (call $leftGreater (local.get $left) (local.get $right))
    (then (memory.copy (local.get $pair) (local.get $right) (i32.const 32)) (memory.copy (i32.add (local.get $pair) (i32.const 32)) (local.get $left) (i32.const 32)))
    (else (memory.copy (local.get $pair) (local.get $left) (i32.const 64)))))`;
}

/**
 * OpenZeppelin's sorted-pair nodes of a tree stored as 32-byte words from $nodes (node i's
 * children at 2i+1 and 2i+2): nodes $last down to 0, each keccak256 of its children, smaller
 * first. The leaves (the nodes after $last) must be in place. Nodes i and i−1 are hashed
 * together while i ≥ 2: then i−1's children (2i−1, 2i) are past i, so already done.
 */
function merkleNodesFunction(): string {
  const node = (index: string): string => `(i32.add (local.get $nodes) (i32.shl ${index} (i32.const 5)))`;
  return `(func (export "merkleNodes") (param $nodes i32) (param $last i32)
  (local $i i32)
  (local.set $i (local.get $last))
  (block $paired
    (loop $pairs
      (br_if $paired (i32.lt_s (local.get $i) (i32.const 2)))
      (call $sortedPair (local.get $nodes) (local.get $i) (i32.const ${PAIR}))
      (call $sortedPair (local.get $nodes) (i32.sub (local.get $i) (i32.const 1)) (i32.const ${PAIR_B}))
      (call $hash2 (i32.const ${PAIR}) (i32.const 64) (i32.const ${PAIR_B}) (i32.const 64) ${node('(local.get $i)')} ${node('(i32.sub (local.get $i) (i32.const 1))')})
      (local.set $i (i32.sub (local.get $i) (i32.const 2)))
      (br $pairs)))
  (block $done
    (loop $single
      (br_if $done (i32.lt_s (local.get $i) (i32.const 0)))
      (call $sortedPair (local.get $nodes) (local.get $i) (i32.const ${PAIR}))
      (call $hash (i32.const ${PAIR}) (i32.const 64) ${node('(local.get $i)')})
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $single))))`;
}

/** The round constants as a data segment (little-endian u64s). */
function roundConstantsData(): string {
  const bytes = keccakRoundConstants().flatMap((constant) => Array.from({ length: 8 }, (_, i) => Number((constant >> BigInt(8 * i)) & 0xffn)));
  return `(data (i32.const ${ROUND_CONSTANTS}) "${bytes.map((byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('')}")`;
}

export function keccakWat(): string {
  return [
    '(module',
    '(memory (export "memory") 1)',
    roundConstantsData(),
    permuteFunction('$permute', ONE_STATE, STATE),
    permuteFunction('$permute2', TWO_STATES, STATE2),
    absorbBlockFunction('$absorbBlock', ONE_STATE, STATE),
    absorbBlockFunction('$absorbBlock2', TWO_STATES, STATE2),
    hashFunction(),
    hash2Function(),
    hashManyFunction(),
    leftGreaterFunction(),
    sortedPairFunction(),
    merkleNodesFunction(),
    ')',
  ].join('\n');
}
