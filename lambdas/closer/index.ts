export * from './closer';
export * from './errors';
export * from './handler';
