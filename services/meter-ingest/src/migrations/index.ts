import { MESSAGING_MIGRATIONS } from '@gridledger/persistence';
import { CreateMeterIngestTables1764000000100 } from './1764000000100-create-meter-ingest-tables.migration';
import { AddRegistryRevision1764000004100 } from './1764000004100-add-registry-revision.migration';
import { AddSignedRequest1796145100000 } from './1796145100000-add-signed-request.migration';

/** meter-ingest owns the `meter_ingest` Postgres schema; nothing else reads or writes it. */
export const SCHEMA = 'meter_ingest';

/** In order: the backbone's inbox/outbox tables first, then the service's own. */
export const MIGRATIONS = [...MESSAGING_MIGRATIONS, CreateMeterIngestTables1764000000100, AddRegistryRevision1764000004100, AddSignedRequest1796145100000];
