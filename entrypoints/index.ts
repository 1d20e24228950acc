/**
 * `streamfold`: the definition API (`definePipeline`, windows, aggregates, alert rules, deploy settings), offline
 * `replay()` and the pure engine. No AWS SDK and no CDK: a pipeline file imports this, and so does every Lambda
 * bundle built from it.
 */
export * from '../core';
