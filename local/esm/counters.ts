/** What a mapping has done so far (a snapshot; numbers only grow except `millisBehindLatest` and the shard gauges). */
export interface EsmCounters {
  /** Handler invocations (Lambda's `Invocations` for this mapping). */
  batches: number;
  /** Records handed to the handler, retries included. */
  records: number;
  /** Records checkpointed after their invocation succeeded (or was reported as succeeded). */
  recordsSucceeded: number;
  /** Re-invocations of a failed batch, or of its failed tail after a partial failure. */
  retries: number;
  /** Batches split in two after a function error. */
  bisects: number;
  /** Invocations that threw. */
  functionErrors: number;
  /** Invocations whose `batchItemFailures` Lambda treats as a complete failure (null/empty/unknown identifier). */
  invalidResponses: number;
  /** Invocations that reported some records as failed. */
  partialFailures: number;
  /** Metadata records sent to the on-failure destination. */
  failuresToDestination: number;
  /** Records skipped after retries ran out or because they were too old. */
  recordsDiscarded: number;
  /** Records read with GetRecords. */
  recordsPolled: number;
  /** GetRecords calls. */
  getRecordsCalls: number;
  /** Expired shard iterators replaced (AFTER_SEQUENCE_NUMBER the last record read). */
  iteratorsRenewed: number;
  /** Largest `MillisBehindLatest` of the last GetRecords of each open shard. */
  millisBehindLatest: number;
  /** Shards being read now. */
  shardsActive: number;
  /** Shards read to their end (closed and fully processed), or skipped. */
  shardsFinished: number;
}

/** A zeroed counter set. */
export function emptyCounters(): EsmCounters {
  return {
    batches: 0,
    records: 0,
    recordsSucceeded: 0,
    retries: 0,
    bisects: 0,
    functionErrors: 0,
    invalidResponses: 0,
    partialFailures: 0,
    failuresToDestination: 0,
    recordsDiscarded: 0,
    recordsPolled: 0,
    getRecordsCalls: 0,
    iteratorsRenewed: 0,
    millisBehindLatest: 0,
    shardsActive: 0,
    shardsFinished: 0,
  };
}
