import { StreamfoldError } from '../../core/errors';

/** A sink refused a message (an entry-level error code from the service, e.g. Firehose `ServiceUnavailableException`). */
export class SinkEntryError extends StreamfoldError {
  override name = 'SinkEntryError';
  readonly code = 'SINK_ENTRY_REFUSED';
  constructor(
    readonly sink: string,
    /** The service's entry-level error code, e.g. `ServiceUnavailableException`. */
    readonly errorCode: string,
    detail: string | undefined,
  ) {
    super(`Sink ${JSON.stringify(sink)} refused a message: ${errorCode}${detail ? ` (${detail})` : ''}`);
  }
}

/** A sink's call failed (throttle, service error, timeout) after the SDK's retries. */
export class SinkCallError extends StreamfoldError {
  override name = 'SinkCallError';
  readonly code = 'SINK_CALL_FAILED';
  constructor(
    readonly sink: string,
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(
      `Sink ${JSON.stringify(sink)}: ${operation} failed: ${(options?.cause as Error)?.name ?? 'Error'}: ${(options?.cause as Error)?.message ?? String(options?.cause)}`,
      options,
    );
  }
}

/** A message is larger than the destination accepts (it can never be delivered as is). */
export class MessageTooLargeError extends StreamfoldError {
  override name = 'MessageTooLargeError';
  readonly code = 'MESSAGE_TOO_LARGE';
  constructor(
    readonly sink: string,
    readonly id: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(
      `Message ${JSON.stringify(id)} is ${bytes} bytes, over the ${limit}-byte limit of sink ${JSON.stringify(sink)}: bound distinct/last-N aggregates of this window.`,
    );
  }
}
