/**
 * The door a batch came through, stored with it (raw_batches.format) and named in the
 * manifests. Batches are authenticated as EIP-712 signed requests (@gridledger/auth) whose
 * nonce is the SHA-256 of the body: the batch id (docs/trust.md).
 */
export type SignedFormat = 'readings-json' | 'mscons';
