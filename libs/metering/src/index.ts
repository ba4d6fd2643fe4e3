// Pure metering domain. Each part appends its own export line.
export * from './registry';
export * from './validation';
export * from './signature';
export * from './intake';
export * from './mscons';
export * from './register-split';
