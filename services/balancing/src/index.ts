export * from './service';
export * from './config';
export * from './app.module';
export * from './migrations';
