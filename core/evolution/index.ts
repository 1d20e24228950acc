export * from './check';
export * from './descriptor';
export * from './lock';
export * from './resets';
export * from './schema-compat';
export * from './switch';
export * from './translate';
