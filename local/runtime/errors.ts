import { StreamfoldError } from '../../core/errors';

/** The stream or tables of a local run could not be created. */
export class ResourceSetupError extends StreamfoldError {
  override readonly name = 'ResourceSetupError';
  readonly code = 'RESOURCE_SETUP_FAILED';
  constructor(
    /** The resource, e.g. `stream clickstream-events`. */
    readonly resource: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? `${options.cause.name}: ${options.cause.message}` : 'unknown';
    super(`Could not create ${resource} (${reason}). Check that the engines (or AWS_ENDPOINT_URL) answer.`, options);
  }
}

/** `streamfold produce` found no running `streamfold dev` and no endpoint to send to. */
export class NoRunningDevError extends StreamfoldError {
  override readonly name = 'NoRunningDevError';
  readonly code = 'NO_RUNNING_DEV';
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
export class EmissionFinishError extends StreamfoldError {
  override readonly name = 'EmissionFinishError';
  readonly code = 'EMISSION_FINISH_TIMEOUT';
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
