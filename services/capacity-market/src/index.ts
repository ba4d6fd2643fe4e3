export * from './service';
export * from './config';
export * from './app.module';
export * from './migrations';
export * from './shares/shares.service';
export * from './allocation/period.worker';
