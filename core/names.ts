import type { Pipeline } from './definition';

/**
 * Resource names derived from a pipeline name. The CDK app and the local runtime both use these, so a local run
 * creates exactly the resources the stack deploys.
 */
export interface ResourceNames {
  readonly stream: string;
  readonly stateTable: string;
  readonly dedupeTable: string;
  readonly rejectedQueue: string;
  readonly lateQueue: string;
  readonly failedQueue: string;
}

/**
 * Names of a pipeline's resources.
 * @example resourceNames(pipeline).stateTable // 'clickstream-state'
 */
export function resourceNames(pipeline: Pick<Pipeline, 'name'>): ResourceNames {
  const n = pipeline.name;
  return {
    stream: `${n}-events`,
    stateTable: `${n}-state`,
    dedupeTable: `${n}-dedupe`,
    rejectedQueue: `${n}-rejected`,
    lateQueue: `${n}-late`,
    failedQueue: `${n}-failed`,
  };
}
