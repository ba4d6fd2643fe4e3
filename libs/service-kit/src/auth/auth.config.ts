/** The auth variables are defined with the common ones (config.ts), where every service's variables are read from. */
export { authConfigFields, authConfigSchema, type AuthConfig } from '../config';
