export * from './body';
export * from './errors';
export * from './messages';
export * from './sink';
export * from './sqs-side-output';
