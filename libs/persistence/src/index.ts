export * from './data-source';
export * from './messaging-tables.entity';
export * from './migrations';
export * from './queue-tables';
