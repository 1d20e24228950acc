import { StreamfoldError } from '../../core/errors';

/** A record's data plus partition key exceeds the 1 MiB Kinesis allows per record. */
export class RecordTooLargeError extends StreamfoldError {
  override name = 'RecordTooLargeError';
  readonly code = 'RECORD_TOO_LARGE';
  constructor(
    /** Data plus partition key, in bytes. */
    readonly sizeBytes: number,
    /** The limit: 1,048,576 bytes. */
    readonly limitBytes: number,
    /** The record's partition key. */
    readonly partitionKey: string,
  ) {
    super(
      `Record with partition key "${partitionKey}" is ${sizeBytes} bytes (data + partition key); Kinesis accepts at most ` +
        `${limitBytes} bytes per record. Split the event or store the payload elsewhere (e.g. S3) and send a reference.`,
    );
  }
}

/** The partition key function returned something Kinesis rejects (not a string of 1 to 256 characters). */
export class PartitionKeyError extends StreamfoldError {
  override name = 'PartitionKeyError';
  readonly code = 'INVALID_PARTITION_KEY';
  constructor(
    /** What the function returned. */
    readonly key: unknown,
    options?: { cause?: unknown },
  ) {
    super(
      `Partition key ${JSON.stringify(key)} is invalid: Kinesis needs a string of 1 to 256 characters. ` +
        'Check the partitionKey function (a missing field gives undefined or an empty string).',
      options,
    );
  }
}

/** `send()` after `close()`. */
export class ProducerClosedError extends StreamfoldError {
  override name = 'ProducerClosedError';
  readonly code = 'PRODUCER_CLOSED';
  constructor(readonly streamName: string) {
    super(`The producer for stream "${streamName}" is closed; create a new producer to send more records.`);
  }
}

/** Some records could not be delivered after every retry; `flush()`/`close()` report them. */
export class ProducerDeliveryError extends StreamfoldError {
  override name = 'ProducerDeliveryError';
  readonly code = 'PRODUCER_DELIVERY_FAILED';
  constructor(
    /** Records given up on since the last flush. */
    readonly failedCount: number,
    /** The error code of the first one (per-entry `ErrorCode`, or the request error's name). */
    readonly firstErrorCode: string,
    /** The error message of the first one. */
    readonly firstErrorMessage: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${failedCount} record(s) could not be written to Kinesis after all retries; first error ${firstErrorCode}: ` +
        `${firstErrorMessage}. Raise maxRetries, add shards, or slow the producer (maxInFlight).`,
      options,
    );
  }
}
