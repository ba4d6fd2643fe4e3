export * from './1764000000000-create-messaging-tables.migration';
