/** A sink refused a message (an entry-level error code from the service, e.g. Firehose `ServiceUnavailableException`). */
export class SinkEntryError extends Error {
  override name = 'SinkEntryError';
  constructor(
    readonly sink: string,
    readonly code: string,
    detail: string | undefined,
  ) {
    super(`Sink ${JSON.stringify(sink)} refused a message: ${code}${detail ? ` (${detail})` : ''}`);
  }
}

/** A sink's call failed (throttle, service error, timeout) after the bounded retries. */
export class SinkCallError extends Error {
  override name = 'SinkCallError';
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
export class MessageTooLargeError extends Error {
  override name = 'MessageTooLargeError';
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

/** A sink option is invalid (e.g. an ARN that is not an SNS topic ARN). */
export class InvalidSinkOptionError extends Error {
  override name = 'InvalidSinkOptionError';
  constructor(option: string, value: unknown, expected: string) {
    super(`Sink option ${option}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}
