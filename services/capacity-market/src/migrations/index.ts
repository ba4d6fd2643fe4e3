import { CreateMessagingTables1764000000000 } from '@gridledger/persistence';
import { CreateCapacityMarketTables1764000002000 } from './1764000002000-create-capacity-market-tables.migration';

/** capacity-market owns the `capacity_market` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'capacity_market';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [CreateMessagingTables1764000000000, CreateCapacityMarketTables1764000002000];
