export * from './auth.config';
export * from './auth.service';
export * from './auth.module';
export * from './nonce-store';
export * from './role-directory';
export * from './body-parsers';
