export * from './meter-value';
export * from './netting';
export * from './gate';
export * from './substitution';
export * from './ledger';
export * from './settle';
export * from './market-summary';
export * from './group-period.decider';
