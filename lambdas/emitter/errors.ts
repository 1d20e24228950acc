/** A DynamoDB stream record of a state item whose stored value cannot be read. Logged and skipped (never retried). */
export class MalformedStreamRecordError extends Error {
  override name = 'MalformedStreamRecordError';
  constructor(
    readonly sequence: string | undefined,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Stream record ${JSON.stringify(sequence)} of the state table cannot be read: ${reason}`, options);
  }
}

/** A required setting (environment variable) is missing. */
export class MissingEmitterSettingError extends Error {
  override name = 'MissingEmitterSettingError';
  constructor(
    readonly variable: string,
    what: string,
  ) {
    super(`Environment variable ${variable} (${what}) is not set: the CDK construct sets it; set it for local runs.`);
  }
}

/** A setting (environment variable or option) has a bad value. */
export class InvalidEmitterSettingError extends Error {
  override name = 'InvalidEmitterSettingError';
  constructor(
    readonly setting: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${setting}: expected ${expected}, got ${JSON.stringify(value)}`);
  }
}

/** A delivery-marker call failed after the bounded retries (the messages concerned are not sent now). */
export class MarkerCallError extends Error {
  override name = 'MarkerCallError';
  constructor(operation: string, options?: { cause?: unknown }) {
    super(
      `Delivery marker ${operation} failed: ${(options?.cause as Error)?.message ?? String(options?.cause)}`,
      options,
    );
  }
}

/** The pipeline's id key (the secret of alert and result ids) cannot be read or created. */
export class IdKeyError extends Error {
  override name = 'IdKeyError';
  constructor(tableName: string, reason: string, options?: { cause?: unknown }) {
    super(
      `The id key item (pk "#meta", sk "id-key") of table ${JSON.stringify(tableName)} ${reason}` +
        (options?.cause ? `: ${(options.cause as Error)?.message ?? String(options.cause)}` : ''),
      options,
    );
  }
}

/** A line of a spill object is not an emitted message (the object is left as it is, for an operator). */
export class SpillFormatError extends Error {
  override name = 'SpillFormatError';
  constructor(
    readonly key: string,
    line: number,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`Spill object ${JSON.stringify(key)}, line ${line}: ${reason}`, options);
  }
}
