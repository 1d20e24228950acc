import { StreamfoldError } from '../../core/errors';
import { ID_KEY_SORT_KEY, META_PARTITION } from '../../core/table-layout';

/** A DynamoDB stream record of a state item whose stored value cannot be read. Logged and skipped (never retried). */
export class MalformedStreamRecordError extends StreamfoldError {
  override name = 'MalformedStreamRecordError';
  readonly code = 'MALFORMED_STREAM_RECORD';
  constructor(
    readonly sequence: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream record ${JSON.stringify(sequence)} of the state table cannot be read: ${reason}`, options);
  }
}

/** A delivery-marker call failed after the SDK's retries (the messages concerned are not sent now). */
export class MarkerCallError extends StreamfoldError {
  override name = 'MarkerCallError';
  readonly code = 'MARKER_CALL_FAILED';
  constructor(operation: string, options?: { cause?: unknown }) {
    super(
      `Delivery marker ${operation} failed: ${(options?.cause as Error)?.message ?? String(options?.cause)}`,
      options,
    );
  }
}

/** The pipeline's id key (the secret of alert and result ids) cannot be read or created. */
export class IdKeyError extends StreamfoldError {
  override name = 'IdKeyError';
  readonly code = 'ID_KEY';
  constructor(tableName: string, reason: string, options?: { cause?: unknown }) {
    super(
      `The id key item (pk ${JSON.stringify(META_PARTITION)}, sk ${JSON.stringify(ID_KEY_SORT_KEY)}) of table ${JSON.stringify(tableName)} ${reason}` +
        (options?.cause ? `: ${(options.cause as Error)?.message ?? String(options.cause)}` : ''),
      options,
    );
  }
}

/** A line of a spill object is not an emitted message (the object is left as it is, for an operator). */
export class SpillFormatError extends StreamfoldError {
  override name = 'SpillFormatError';
  readonly code = 'SPILL_FORMAT';
  constructor(
    readonly key: string,
    line: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Spill object ${JSON.stringify(key)}, line ${line}: ${reason}`, options);
  }
}
