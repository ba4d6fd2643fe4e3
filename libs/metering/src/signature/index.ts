export * from './batch-signature';
