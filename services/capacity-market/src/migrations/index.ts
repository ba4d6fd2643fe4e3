import { MESSAGING_MIGRATIONS } from '@gridledger/persistence';
import { CreateCapacityMarketTables1764000002000 } from './1764000002000-create-capacity-market-tables.migration';
import { AddPlantSnapshots1796160000000 } from './1796160000000-add-plant-snapshots.migration';

/** capacity-market owns the `capacity_market` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'capacity_market';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [...MESSAGING_MIGRATIONS, CreateCapacityMarketTables1764000002000, AddPlantSnapshots1796160000000];
