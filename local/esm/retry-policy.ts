import type { PolledRecord } from './event-builder';

/** What the retry rules read of a stream record (a Kinesis or a DynamoDB stream record). */
export interface SequencedRecord {
  sequenceNumber: string;
  /** Arrival in the stream, ms since the epoch. */
  arrivalMs: number;
}

/** A batch as the lane tracks it: its records (in shard order), retries consumed, and invocations so far. */
export interface Batch<R extends SequencedRecord = PolledRecord> {
  records: R[];
  /** Retries already consumed by these records (bisecting does not consume any). */
  retries: number;
  /** Invocations that carried these records (reported as `approximateInvokeCount`). */
  invocations: number;
  /** Whether the last invocation threw (reported as `functionError: 'Unhandled'`). */
  functionError?: boolean;
}

/** What one invocation amounted to, read the way Lambda reads it. */
export type InvocationOutcome =
  | { kind: 'success' }
  | { kind: 'function-error'; error: unknown }
  | { kind: 'invalid-response'; reason: string }
  | { kind: 'partial'; failedIndex: number };

/** What the lane does next with a batch. */
export type NextStep<R extends SequencedRecord = PolledRecord> =
  | { kind: 'done' }
  | { kind: 'retry'; batch: Batch<R> }
  | { kind: 'bisect'; halves: [Batch<R>, Batch<R>] }
  | { kind: 'discard'; batch: Batch<R>; condition: 'RetryAttemptsExhausted' };

/** The retry settings the policy reads. */
export interface RetrySettings {
  reportBatchItemFailures: boolean;
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
}

/**
 * Read a function response like Lambda does with `ReportBatchItemFailures`
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html):
 * - success: no response, a response without `batchItemFailures`, or an empty/null `batchItemFailures` list;
 * - complete failure: an entry whose `itemIdentifier` is null, an empty string, missing (wrong key name), or not the
 *   sequence number of a record in the batch;
 * - otherwise partial: Lambda checkpoints before the lowest reported sequence number and retries from it.
 * Without `ReportBatchItemFailures` the response is ignored: every invocation that does not throw is a success.
 */
export function interpretResponse(
  response: unknown,
  records: readonly SequencedRecord[],
  reportBatchItemFailures: boolean,
): InvocationOutcome {
  if (!reportBatchItemFailures || response === null || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'invalid-response', reason: `batchItemFailures is ${typeof failures}, not a list` };
  }
  if (failures.length === 0) return { kind: 'success' };
  let lowest = -1;
  for (const entry of failures) {
    const id =
      entry === null || typeof entry !== 'object' ? undefined : (entry as { itemIdentifier?: unknown }).itemIdentifier;
    if (typeof id !== 'string' || id === '') {
      return {
        kind: 'invalid-response',
        reason: `itemIdentifier ${JSON.stringify(id ?? null)} is null, empty or missing`,
      };
    }
    const index = records.findIndex((r) => r.sequenceNumber === id);
    if (index < 0) return { kind: 'invalid-response', reason: `itemIdentifier "${id}" is not a record of this batch` };
    if (lowest < 0 || index < lowest) lowest = index;
  }
  return { kind: 'partial', failedIndex: lowest };
}

function exhausted(batch: Batch<SequencedRecord>, settings: RetrySettings): boolean {
  return settings.maximumRetryAttempts !== -1 && batch.retries >= settings.maximumRetryAttempts;
}

/**
 * Lambda's retry rules for stream sources
 * (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html):
 * - a function error (or a response Lambda treats as a complete failure) with BisectBatchOnFunctionError splits a
 *   batch of two or more records in half; the halves are retried first half first, and splitting consumes no retry;
 * - otherwise the batch is retried while retries remain (MaximumRetryAttempts, -1 = infinite), then discarded to the
 *   on-failure destination with condition `RetryAttemptsExhausted`;
 * - a partial failure retries only the records from the lowest failed one (the checkpoint moves past the others),
 *   consuming one retry.
 */
export function nextStep<R extends SequencedRecord>(
  batch: Batch<R>,
  outcome: InvocationOutcome,
  settings: RetrySettings,
): NextStep<R> {
  if (outcome.kind === 'success') return { kind: 'done' };
  if (outcome.kind === 'partial') {
    const rest: Batch<R> = { ...batch, records: batch.records.slice(outcome.failedIndex) };
    if (exhausted(batch, settings)) return { kind: 'discard', batch: rest, condition: 'RetryAttemptsExhausted' };
    return { kind: 'retry', batch: { ...rest, retries: batch.retries + 1 } };
  }
  if (settings.bisectBatchOnFunctionError && batch.records.length > 1) {
    const middle = Math.ceil(batch.records.length / 2);
    return {
      kind: 'bisect',
      halves: [
        { ...batch, records: batch.records.slice(0, middle) },
        { ...batch, records: batch.records.slice(middle) },
      ],
    };
  }
  if (exhausted(batch, settings)) return { kind: 'discard', batch, condition: 'RetryAttemptsExhausted' };
  return { kind: 'retry', batch: { ...batch, retries: batch.retries + 1 } };
}

/**
 * Split off the records older than MaximumRecordAgeInSeconds (-1 = never): the leading records whose arrival is more
 * than `maxAgeSeconds` before `nowMs`. Arrival times grow along a shard, so the expired records are a prefix.
 */
export function splitExpired<R extends SequencedRecord>(
  records: readonly R[],
  nowMs: number,
  maxAgeSeconds: number,
): [expired: R[], fresh: R[]] {
  if (maxAgeSeconds < 0) return [[], [...records]];
  let cut = 0;
  while (cut < records.length && nowMs - (records[cut]?.arrivalMs ?? nowMs) > maxAgeSeconds * 1000) cut++;
  return [records.slice(0, cut), records.slice(cut)];
}
