import type { MSKEvent } from 'aws-lambda';
import type { Pipeline } from '../../core';

/** Builds the MSK processor handler for a pipeline. (Being written: replaced by the real implementation.) */
export function createMskHandler(pipeline: Pipeline): (event: MSKEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  return async () => {
    throw new Error(`processor for ${pipeline.name} is not built yet`);
  };
}
