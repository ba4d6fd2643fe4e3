export * from './envelope';
export * from './define-event';
export * from './wire';
export * from './catalogue';
export * from './reconciliation';
export * from './meter.requests';
