export * from './stream-handler';
export * from './stream-context';
export * from './jetstream.transport';
