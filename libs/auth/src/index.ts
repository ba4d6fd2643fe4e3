export * from './roles';
export * from './environment';
export * from './signed-request';
export * from './session';
export * from './policy';
export * from './role-set';
export * from './registry-abi';
