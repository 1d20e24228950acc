export * from './delivery-markers';
export * from './emit';
export * from './env';
export * from './errors';
export * from './handler';
export * from './result-items';
export * from './runtime';
export * from './stream-records';
