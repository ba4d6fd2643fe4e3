import { MESSAGING_MIGRATIONS } from '@gridledger/persistence';
import { AddCommitTraceHeaders1764000600000 } from './1764000600000-add-commit-trace-headers.migration';
import { AddCommitInputsDigest1764000700000 } from './1764000700000-add-commit-inputs-digest.migration';
import { CreateChainBridgeTables1764000500000 } from './1764000500000-create-chain-bridge-tables.migration';

/** chain-bridge owns the `chain_bridge` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'chain_bridge';
/** The finalizer (CHAIN_MODE=finalizer) owns `chain_finalizer`: the same tables, its own rows. */
export const FINALIZER_SCHEMA = 'chain_finalizer';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [...MESSAGING_MIGRATIONS, CreateChainBridgeTables1764000500000, AddCommitTraceHeaders1764000600000, AddCommitInputsDigest1764000700000];
