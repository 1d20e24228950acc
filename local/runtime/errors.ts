/** The stream or tables of a local run could not be created. */
export class ResourceSetupError extends Error {
  override readonly name = 'ResourceSetupError';
  constructor(
    /** The resource, e.g. `stream clickstream-events`. */
    readonly resource: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown';
    super(`Could not create ${resource} (${reason}). Check that the engines (or AWS_ENDPOINT_URL) answer.`, options);
  }
}

/** A dev-runtime option is out of range. */
export class DevOptionError extends Error {
  override readonly name = 'DevOptionError';
  constructor(
    /** The option name. */
    readonly option: string,
    /** The rejected value. */
    readonly value: unknown,
    /** What is accepted. */
    readonly expected: string,
  ) {
    super(`Dev runtime option ${option} = ${JSON.stringify(value)} is invalid: expected ${expected}.`);
  }
}

/** `streamfold produce` found no running `streamfold dev` and no endpoint to send to. */
export class NoRunningDevError extends Error {
  override readonly name = 'NoRunningDevError';
  constructor(
    /** The run file that was looked for. */
    readonly runFile: string,
  ) {
    super(
      `No running \`streamfold dev\` found (${runFile} is missing or its process has exited). Start \`npm start -- ` +
        '--no-generator` in another terminal, or give --endpoint / set AWS_ENDPOINT_URL.',
    );
  }
}

/** The emission plugin's `finish()` still found windows to close at its deadline. */
export class EmissionFinishError extends Error {
  override readonly name = 'EmissionFinishError';
  constructor(
    /** The deadline given, ms. */
    readonly timeoutMs: number,
    /** Keys the last closer run could not commit (undefined when the run itself failed). */
    readonly failedKeys: number | undefined,
  ) {
    super(
      `The closer still had windows to finalize after ${timeoutMs} ms (${failedKeys ?? 'unknown'} key(s) not ` +
        'committed in its last run): give finish() more time, or check DynamoDB Local for throttles or errors.',
    );
  }
}
