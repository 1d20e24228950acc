import { setTimeout as sleep } from 'node:timers/promises';
import { fullJitterDelay } from '../../core/backoff';
import type { SDK_MAX_ATTEMPTS } from '../aws-config';
import { StoreCallFailedError } from './errors';

/**
 * True when a DynamoDB call failed its condition (`ConditionalCheckFailedException`): a semantic answer the caller
 * decides on, never a transport failure.
 */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** Timing of the loops that send again for a semantic reason: full-jitter exponential backoff. */
export interface BackoffOptions {
  /** First delay cap, ms. @default 20 */
  baseDelayMs?: number;
  /** Largest delay cap, ms. @default 1000 */
  maxDelayMs?: number;
}

/**
 * Sleep a random time in [0, min(max, base * 2^attempt)) (full jitter); attempt counts from 0. For loops the SDK does
 * not cover (UnprocessedItems, per-entry failures of batch calls, conditional conflicts recomputed): transport
 * retries are the SDK's alone (see lambdas/aws-config.ts).
 */
export function backoff(attempt: number, options: BackoffOptions = {}): Promise<void> {
  return sleep(fullJitterDelay(attempt, options.baseDelayMs ?? 20, options.maxDelayMs ?? 1000, Math.random));
}

/** Sends the SDK made of a failed call (its `$metadata.attempts`; 1 for an error raised before any send). */
function sendsOf(error: unknown): number {
  return (error as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1;
}

/**
 * Send one DynamoDB call. Throttles, 5xx, timeouts and network errors were already retried by the SDK's standard
 * retry strategy ({@link SDK_MAX_ATTEMPTS} sends in all): nothing here sends again, so a call is sent at most that many
 * times. A conditional-check failure is rethrown as is (the caller decides); any other error becomes a
 * {@link StoreCallFailedError} naming the operation, with the SDK's error as cause.
 */
export async function storeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isConditionalCheckFailed(error)) throw error;
    throw storeCallFailed(operation, error);
  }
}

/** The {@link StoreCallFailedError} for `error`, a failure of `operation` the SDK gave up on. */
export function storeCallFailed(operation: string, error: unknown): StoreCallFailedError {
  return new StoreCallFailedError(operation, sendsOf(error), { cause: error });
}
