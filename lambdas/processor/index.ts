export * from './errors';
export * from './kinesis-handler';
export * from './msk-handler';
export { NO_STREAM_TIME, processSource } from './process-source';
export * from './redrive';
export * from './runtime';
export * from './source-batch';
export * from './stored-state';
export * from './summary';
