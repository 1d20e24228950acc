/**
 * streamfold's pure engine: the definition API, decoding, windows, aggregates and the stream processor.
 * No AWS SDK, no middy, no CDK: the Lambda handlers, the local runtime and the CDK app build on this.
 */
export * from './aggregates';
export * from './definition';
export * from './duration';
export * from './errors';
export * from './names';
export * from './windows';
export * from './contract';
export * from './decode';
export * from './engine';
export * from './replay';
export * from './shards';
