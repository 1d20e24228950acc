export * from './errors';
export * from './query-state';
