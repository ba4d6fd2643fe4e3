export * from './registry-view';
export * from './rejection';
export * from './validate-intervals';
