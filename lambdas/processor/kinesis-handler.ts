import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';

/** Builds the Kinesis processor handler for a pipeline. (Being written: replaced by the real implementation.) */
export function createKinesisHandler(pipeline: Pipeline): (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse> {
  return async () => {
    throw new Error(`processor for ${pipeline.name} is not built yet`);
  };
}
