import { setTimeout as sleep } from 'node:timers/promises';
import { StoreCallFailedError } from './errors';

/** How a failed DynamoDB call is handled. */
export type ErrorKind = 'conditional' | 'throttle' | 'fatal' | 'transient';

const THROTTLE = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Throttling',
]);

/** Client-side errors that will fail the same way again: not retried. */
const FATAL = new Set([
  'ValidationException',
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'SerializationException',
  'ItemCollectionSizeLimitExceededException',
  'MissingAuthenticationTokenException',
  'InvalidSignatureException',
]);

/**
 * Classify an error from `send`: conditional-check failure, throttle, fatal (bad request; never retried), or
 * transient (service error, timeout, network: the outcome may be unknown, so a retry must be idempotent).
 */
export function classifyError(error: unknown): ErrorKind {
  const name = (error as { name?: string } | undefined)?.name ?? '';
  if (name === 'ConditionalCheckFailedException') return 'conditional';
  if (THROTTLE.has(name) || (error as { $retryable?: { throttling?: boolean } })?.$retryable?.throttling) {
    return 'throttle';
  }
  return FATAL.has(name) ? 'fatal' : 'transient';
}

/** Retry timing: full-jitter exponential backoff. */
export interface BackoffOptions {
  /** First delay cap, ms. @default 20 */
  baseDelayMs?: number;
  /** Largest delay cap, ms. @default 1000 */
  maxDelayMs?: number;
}

/** Sleep a random time in [0, min(max, base * 2^attempt)) (full jitter); attempt counts from 0. */
export function backoff(attempt: number, options: BackoffOptions = {}): Promise<void> {
  const cap = Math.min(options.maxDelayMs ?? 1000, (options.baseDelayMs ?? 20) * 2 ** attempt);
  const delay = Math.floor(Math.random() * cap);
  return sleep(delay);
}

/** Options of {@link callWithRetry}. */
export interface RetryOptions {
  /** Extra attempts after a throttle or transient error. */
  maxRetries: number;
  backoff?: BackoffOptions;
  /** Called before each retry (for counting). */
  onRetry?: (error: unknown) => void;
}

/**
 * Run one DynamoDB call; retry throttles and transient errors up to `maxRetries` times with full-jitter backoff.
 * A conditional-check failure is rethrown as is (the caller decides); anything else that gives up becomes a
 * {@link StoreCallFailedError} with the last error as cause. Only for idempotent calls (reads, conditional writes).
 */
export async function callWithRetry<T>(operation: string, call: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const kind = classifyError(error);
      if (kind === 'conditional') throw error;
      if (kind === 'fatal' || attempt >= options.maxRetries) {
        throw new StoreCallFailedError(operation, attempt + 1, { cause: error });
      }
      options.onRetry?.(error);
      await backoff(attempt, options.backoff);
    }
  }
}
