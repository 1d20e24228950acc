/**
 * The one configuration of the AWS SDK clients the Lambdas build. Transport retries (throttles, 5xx, timeouts,
 * network errors) belong to the SDK's standard retry strategy and its error classification: configured here, once.
 * Loops in lambdas/ that send again are semantic (a conditional-check conflict recomputed from the item it returned;
 * UnprocessedItems/UnprocessedKeys; per-entry failures of SendMessageBatch, PutRecordBatch, PublishBatch, PutEvents,
 * PutRecords and WriteRecords, which the SDK does not retry).
 */

/** Sends of one call by the SDK, first included (the SDK's standard mode default, stated here once). */
export const SDK_MAX_ATTEMPTS = 3;

/** Client options every SDK client of the Lambdas is built with. */
export interface SdkClientConfig {
  readonly maxAttempts: number;
  readonly retryMode: 'standard';
}

/** The options to build an SDK client of a Lambda with: `new DynamoDBClient(sdkClientConfig())`. */
export function sdkClientConfig(): SdkClientConfig {
  return { maxAttempts: SDK_MAX_ATTEMPTS, retryMode: 'standard' };
}
