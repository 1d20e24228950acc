import type { TestProject } from 'vitest/node';
import { type EngineEndpoints, startEngines } from '../../../local/engines/index';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoints of the engines started once for the tier (or the AWS_ENDPOINT_URL for both). */
    engineEndpoints: EngineEndpoints;
    /** True when the endpoints are external (LocalStack via AWS_ENDPOINT_URL). */
    enginesExternal: boolean;
  }
}

/**
 * Vitest globalSetup: start kinesis-mock and DynamoDB Local once for the project, provide their endpoints to the
 * tests (`inject('engineEndpoints')`), stop them in teardown.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const engines = await startEngines();
  if (!engines.external) {
    console.info(
      `[engines] kinesis ${engines.endpoints.kinesis}, dynamodb ${engines.endpoints.dynamodb} (${Date.now() - started} ms)`,
    );
  }
  project.provide('engineEndpoints', engines.endpoints);
  project.provide('enginesExternal', engines.external);
  return async () => {
    await engines.stop();
  };
}
