/**
 * `streamfold/runtime`: what runs in AWS and beside it. The Lambda handler factories (the CDK constructs bundle them
 * with your pipeline; export one yourself to run a handler of your own), `queryState` for a serving Lambda or an API,
 * and the batching Kinesis producer client.
 */
export { createCloserHandler } from '../lambdas/closer/handler';
export { createEmitterHandler } from '../lambdas/emitter/handler';
export { createKinesisHandler } from '../lambdas/processor/kinesis-handler';
export { createMskHandler } from '../lambdas/processor/msk-handler';
export * from '../lambdas/query';
export * from '../local/producer';
