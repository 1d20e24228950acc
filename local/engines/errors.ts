import { StreamfoldError } from '../../core/errors';

/** Java is absent or older than 17: DynamoDB Local cannot run. */
export class JavaMissingError extends StreamfoldError {
  override name = 'JavaMissingError';
  readonly code = 'JAVA_MISSING';
  constructor(
    /** What `java -version` reported, or undefined when no `java` was found on PATH. */
    readonly found: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(
      `DynamoDB Local needs Java 17 or newer, but ${found === undefined ? 'no `java` was found on PATH' : `\`java -version\` reported "${found}"`}. ` +
        'Install it with `apt-get install openjdk-17-jre-headless` (or set AWS_ENDPOINT_URL to use LocalStack instead).',
      options,
    );
  }
}

/** An embedded engine process exited, or never answered, while starting. */
export class EngineStartError extends StreamfoldError {
  override name = 'EngineStartError';
  readonly code = 'ENGINE_START_FAILED';
  constructor(
    /** Which engine: 'kinesis-mock' or 'dynamodb-local'. */
    readonly engine: string,
    reason: string,
    /** The last lines the engine printed, for diagnosis. */
    readonly output: string[],
    options?: { cause?: unknown },
  ) {
    super(
      `${engine} did not start: ${reason}.${output.length > 0 ? ` Last output:\n${output.join('\n')}` : ' It printed nothing.'}`,
      options,
    );
  }
}
