import { CreateMessagingTables1764000000000 } from '@gridledger/persistence';
import { CreateMeterIngestTables1764000000100 } from './meter-ingest-tables.migration';

/** In order: the backbone's inbox/outbox first, then meter-ingest's own tables. */
export const METER_INGEST_MIGRATIONS = [CreateMessagingTables1764000000000, CreateMeterIngestTables1764000000100];
export const METER_INGEST_SCHEMA = 'meter_ingest';
