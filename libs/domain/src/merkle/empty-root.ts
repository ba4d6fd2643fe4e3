/**
 * The Merkle root committed for a group-period with no meter in it. A tree needs at least one
 * leaf and the contract refuses bytes32(0), so the empty period gets a defined, non-zero root:
 * keccak256 of the UTF-8 bytes `gridledger:empty-group-period` (checked by the domain tests).
 * No meter leaf can hash to it, so no proof verifies against it.
 */
export const EMPTY_GROUP_PERIOD_ROOT = '0x6bde00265f99a98b66505fff593fb7fdd4cc0d57c585dc7736a71f8ffb1b42f5';

/** The bytes whose keccak256 is EMPTY_GROUP_PERIOD_ROOT. */
export const EMPTY_GROUP_PERIOD_PREIMAGE = 'gridledger:empty-group-period';
