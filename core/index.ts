/**
 * streamfold's pure engine: the definition API, decoding, windows, aggregates and the stream processor.
 * No AWS SDK, no middy, no CDK: the Lambda handlers, the local runtime and the CDK app build on this.
 */
export * from './aggregates';
export * from './alarm-thresholds';
export * from './clean-events';
export * from './contract';
export * from './decode';
export * from './definition';
export * from './deploy-settings';
export * from './duration';
export * from './engine';
export * from './errors';
export * from './event-types';
export * from './evolution';
export * from './iso-time';
export * from './names';
export * from './pipeline-shape';
export * from './replay';
export * from './shards';
export * from './windows';
