/**
 * Errors raised by the CDK constructs at synth time. Each names the setting, quotes the bad value and says what
 * would be accepted, so `cdk synth` fails with an actionable message. A bad prop or context value is core's
 * {@link SettingError} (re-exported here); the errors below are the constructs' own.
 */
import { quote, StreamfoldError } from '../core/errors';

export { SettingError, StreamfoldError } from '../core/errors';

/**
 * ParallelizationFactor > 1 with an aggregation key other than the partition key (docs/architecture.md §2.10): two concurrent
 * batches of one shard could then touch the same window item and the per-shard sequence fence would be unsound.
 */
export class UnsafeParallelizationError extends StreamfoldError {
  override readonly name = 'UnsafeParallelizationError';
  readonly code = 'UNSAFE_PARALLELIZATION';
  constructor(pipeline: string, factor: number, key: string | undefined, partitionKey: string | undefined) {
    super(
      `parallelizationFactor: ${quote(factor)} is only safe when the aggregation key is the partition key, but pipeline ` +
        `${quote(pipeline)} aggregates by ${quote(key ?? '[function]')} and partitions by ${quote(partitionKey ?? '[function]')}. ` +
        'Set parallelizationFactor to 1, or make the partition key the aggregation key (omit `partitionKey` in the definition).',
    );
  }
}

/** A setting names an option streamfold does not build yet (e.g. a Redshift or Snowflake warehouse destination). */
export class NotSupportedYetError extends StreamfoldError {
  override readonly name = 'NotSupportedYetError';
  readonly code = 'NOT_SUPPORTED_YET';
  readonly setting: string;
  constructor(setting: string, value: unknown, supported: readonly string[]) {
    super(
      `${setting}: ${quote(value)} is not supported yet; supported values: ${supported.map((s) => quote(s)).join(', ')}`,
    );
    this.setting = setting;
  }
}

/** The processor entry file could not be generated (definition module missing, unwritable folder, bad export name). */
export class ProcessorEntryError extends StreamfoldError {
  override readonly name = 'ProcessorEntryError';
  readonly code = 'PROCESSOR_ENTRY';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
