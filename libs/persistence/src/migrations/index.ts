import { CreateMessagingTables1764000000000 } from './1764000000000-create-messaging-tables.migration';
import { AddOutboxParking1796138400000 } from './1796138400000-add-outbox-parking.migration';

export * from './1764000000000-create-messaging-tables.migration';
export * from './1796138400000-add-outbox-parking.migration';

/** The backbone's inbox/outbox migrations, in order: every service runs them before its own. */
export const MESSAGING_MIGRATIONS = [CreateMessagingTables1764000000000, AddOutboxParking1796138400000];
