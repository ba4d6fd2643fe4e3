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
 * Memory: the sponge state at 0 (200 bytes), the padded last block at 256 (136 bytes), a pair
 * of nodes at 512 (64 bytes), the round constants at 640 (24 × 8 bytes); the caller's data from
 * KECCAK_WASM_DATA_OFFSET on.
 */
export const KECCAK_WASM_DATA_OFFSET = 1024;

const STATE = 0;
const LAST_BLOCK = 256;
const PAIR = 512;
const ROUND_CONSTANTS = 640;
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

/** One round (θ, ρ, π, χ) over locals $a0..$a24 through $b0..$b24, $c0..$c4, $d; ι by the caller. */
function roundBody(): string[] {
  const lines: string[] = [];
  const a = (i: number): string => `(local.get $a${i})`;
  for (let x = 0; x < 5; x++) lines.push(`(local.set $c${x} (i64.xor (i64.xor (i64.xor (i64.xor ${a(x)} ${a(x + 5)}) ${a(x + 10)}) ${a(x + 15)}) ${a(x + 20)}))`);
  for (let x = 0; x < 5; x++) {
    lines.push(`(local.set $d (i64.xor (local.get $c${(x + 4) % 5}) (i64.rotl (local.get $c${(x + 1) % 5}) (i64.const 1))))`);
    for (let y = 0; y < 5; y++) lines.push(`(local.set $a${x + 5 * y} (i64.xor ${a(x + 5 * y)} (local.get $d)))`);
  }
  // ρ and π: B[y, 2x + 3y] = rotl(A[x, y], r[x, y]).
  const offsets = rotationOffsets();
  for (let x = 0; x < 5; x++) {
    for (let y = 0; y < 5; y++) {
      const target = y + 5 * ((2 * x + 3 * y) % 5);
      const offset = offsets[x + 5 * y];
      lines.push(offset === 0 ? `(local.set $b${target} ${a(x + 5 * y)})` : `(local.set $b${target} (i64.rotl ${a(x + 5 * y)} (i64.const ${offset})))`);
    }
  }
  // χ: A[x, y] = B[x, y] ^ (~B[x+1, y] & B[x+2, y]).
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const b = (dx: number): string => `(local.get $b${((x + dx) % 5) + 5 * y})`;
      lines.push(`(local.set $a${x + 5 * y} (i64.xor ${b(0)} (i64.and (i64.xor ${b(1)} (i64.const -1)) ${b(2)})))`);
    }
  }
  return lines;
}

function permuteFunction(): string {
  const lanes = Array.from({ length: 25 }, (_, i) => i);
  return [
    '(func $permute',
    `  ${lanes.map((i) => `(local $a${i} i64)`).join(' ')}`,
    `  ${lanes.map((i) => `(local $b${i} i64)`).join(' ')}`,
    '  (local $c0 i64) (local $c1 i64) (local $c2 i64) (local $c3 i64) (local $c4 i64) (local $d i64) (local $round i32)',
    ...lanes.map((i) => `  (local.set $a${i} (i64.load offset=${STATE + 8 * i} (i32.const 0)))`),
    '  (loop $rounds',
    ...roundBody().map((line) => `    ${line}`),
    `    (local.set $a0 (i64.xor (local.get $a0) (i64.load offset=${ROUND_CONSTANTS} (i32.shl (local.get $round) (i32.const 3)))))`,
    '    (local.set $round (i32.add (local.get $round) (i32.const 1)))',
    '    (br_if $rounds (i32.lt_u (local.get $round) (i32.const 24))))',
    ...lanes.map((i) => `  (i64.store offset=${STATE + 8 * i} (i32.const 0) (local.get $a${i}))`),
    ')',
  ].join('\n');
}

/** XORs one rate-sized block at $block into the state. */
function absorbBlockFunction(): string {
  const lanes = Array.from({ length: RATE_LANES }, (_, i) => i);
  return [
    '(func $absorbBlock (param $block i32)',
    ...lanes.map((i) => `  (i64.store offset=${STATE + 8 * i} (i32.const 0) (i64.xor (i64.load offset=${STATE + 8 * i} (i32.const 0)) (i64.load offset=${8 * i} (local.get $block))))`),
    ')',
  ].join('\n');
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
  ;; The last block: the rest, Keccak's padding (0x01 ... 0x80; Ethereum's keccak, not SHA-3's 0x06).
  (memory.fill (i32.const ${LAST_BLOCK}) (i32.const 0) (i32.const ${RATE_BYTES}))
  (memory.copy (i32.const ${LAST_BLOCK}) (local.get $input) (local.get $length))
  (i32.store8 offset=${LAST_BLOCK} (local.get $length) (i32.const 0x01))
  (i32.store8 offset=${LAST_BLOCK + RATE_BYTES - 1} (i32.const 0) (i32.or (i32.load8_u offset=${LAST_BLOCK + RATE_BYTES - 1} (i32.const 0)) (i32.const 0x80)))
  (call $absorbBlock (i32.const ${LAST_BLOCK}))
  (call $permute)
  (memory.copy (local.get $output) (i32.const ${STATE}) (i32.const 32)))`;
}

/**
 * `count` messages laid end to end at $input, message i ending at byte $ends[i] (u32, from
 * $input), hashed to 32 bytes each at $output + 32·i; with $twice, each digest hashed again
 * (StandardMerkleTree's leaf: keccak256(keccak256(encoding))).
 */
function hashManyFunction(): string {
  return `(func (export "hashMany") (param $input i32) (param $ends i32) (param $count i32) (param $output i32) (param $twice i32)
  (local $i i32) (local $start i32) (local $end i32) (local $digest i32)
  (block $done
    (loop $messages
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $end (i32.load (i32.add (local.get $ends) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $digest (i32.add (local.get $output) (i32.shl (local.get $i) (i32.const 5))))
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

/**
 * OpenZeppelin's sorted-pair nodes of a tree stored as 32-byte words from $nodes (node i's
 * children at 2i+1 and 2i+2): nodes $last down to 0, each keccak256 of its children, smaller
 * first. The leaves (the nodes after $last) must be in place.
 */
function merkleNodesFunction(): string {
  return `(func (export "merkleNodes") (param $nodes i32) (param $last i32)
  (local $i i32) (local $left i32) (local $right i32)
  (local.set $i (local.get $last))
  (block $done
    (loop $inner
      (br_if $done (i32.lt_s (local.get $i) (i32.const 0)))
      (local.set $left (i32.add (local.get $nodes) (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)) (i32.const 5))))
      (local.set $right (i32.add (local.get $left) (i32.const 32)))
      (if (call $leftGreater (local.get $left) (local.get $right))
        (then (memory.copy (i32.const ${PAIR}) (local.get $right) (i32.const 32)) (memory.copy (i32.const ${PAIR + 32}) (local.get $left) (i32.const 32)))
        (else (memory.copy (i32.const ${PAIR}) (local.get $left) (i32.const 64))))
      (call $hash (i32.const ${PAIR}) (i32.const 64) (i32.add (local.get $nodes) (i32.shl (local.get $i) (i32.const 5))))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $inner))))`;
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
    permuteFunction(),
    absorbBlockFunction(),
    hashFunction(),
    hashManyFunction(),
    leftGreaterFunction(),
    merkleNodesFunction(),
    ')',
  ].join('\n');
}
