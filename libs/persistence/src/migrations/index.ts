import { CreateMessagingTables1764000000000 } from './1764000000000-create-messaging-tables.migration';
import { AddOutboxParking1796138400000 } from './1796138400000-add-outbox-parking.migration';
import { CreateUsedNonces1796145000000 } from './1796145000000-create-used-nonces.migration';

export * from './1764000000000-create-messaging-tables.migration';
export * from './1796138400000-add-outbox-parking.migration';
export * from './1796145000000-create-used-nonces.migration';

/** The backbone's migrations (inbox/outbox, used nonces), in order: every service runs them before its own. */
export const MESSAGING_MIGRATIONS = [CreateMessagingTables1764000000000, AddOutboxParking1796138400000, CreateUsedNonces1796145000000];
