import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { SettingError } from '../../core/errors';
import type { FailureDestination } from './destination';
import type { KinesisSendClient } from './kinesis-api';

/** Where a mapping starts reading shards that exist when it starts (Lambda's `StartingPosition`). */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/**
 * The function the mapping invokes: a Lambda handler for Kinesis events, sync or async, normally returning
 * `Promise<KinesisStreamBatchResponse | void>`. The return type is `unknown` because Lambda accepts any response and
 * reads it by its rules (see `interpretResponse`); tests can return the invalid shapes Lambda must reject.
 */
export type KinesisBatchHandler = (event: KinesisStreamEvent, context: Context) => unknown;

/**
 * Settings of the local event source mapping. Names follow Lambda's `CreateEventSourceMapping` parameters;
 * defaults are AWS's unless marked "emulator".
 */
export interface EventSourceMappingOptions {
  /** Kinesis client: an SDK v3 `KinesisClient` (with `requestHandler: new NodeHttpHandler()` for kinesis-mock). */
  client: KinesisSendClient;
  /** Name of the stream to read. */
  streamName: string;
  /** The function to invoke with each batch. */
  handler: KinesisBatchHandler;
  /** Where to start reading the shards that exist at `start()` (required by AWS too). Shards found later start at TRIM_HORIZON. */
  startingPosition: StartingPosition;
  /** With `AT_TIMESTAMP`: the time to start reading from. */
  startingPositionTimestamp?: Date;
  /**
   * Maximum records per invocation (`BatchSize`), 1 to 10,000.
   * @default 100
   */
  batchSize?: number;
  /**
   * How long to gather records before invoking (`MaximumBatchingWindowInSeconds`, 0 to 300 s), here in milliseconds
   * (0 to 300,000). A batch is sent when it is full, reaches the 6 MB payload limit, or the window expires.
   * @default 0
   */
  maximumBatchingWindowMs?: number;
  /**
   * Concurrent batches per shard (`ParallelizationFactor`), 1 to 10. Records are spread over that many lanes by a
   * hash of the partition key, so one key always lands on one lane and keeps its order.
   * @default 1
   */
  parallelizationFactor?: number;
  /**
   * Split a batch in two when the function throws, and retry the halves first half first (`BisectBatchOnFunctionError`).
   * Splitting does not consume retry attempts.
   * @default false
   */
  bisectBatchOnFunctionError?: boolean;
  /**
   * Retries of a failed batch before it is discarded (`MaximumRetryAttempts`): -1 (infinite) or 0 to 10,000.
   * @default -1
   */
  maximumRetryAttempts?: number;
  /**
   * Records older than this are discarded to the on-failure destination (`MaximumRecordAgeInSeconds`):
   * -1 (infinite) or 60 to 604,800.
   * @default -1
   */
  maximumRecordAgeInSeconds?: number;
  /**
   * Honour `batchItemFailures` in the function's response (`FunctionResponseTypes: ['ReportBatchItemFailures']`).
   * When false, Lambda ignores the response and any non-throwing invocation is a success.
   * @default false
   */
  reportBatchItemFailures?: boolean;
  /**
   * Emulator: the invocation payload cap in bytes of serialized event. Lambda's is 6 MB; lower it only to exercise
   * payload-bound batching with small records (kinesis-mock moves about 1 MB/s, so filling 6 MB takes seconds).
   * @default 6291456
   */
  maxPayloadBytes?: number;
  /** Where metadata about discarded batches goes (`DestinationConfig.OnFailure`). Without it they are only counted. */
  onFailure?: FailureDestination;
  /**
   * Wait between GetRecords calls on a shard that is caught up. Lambda polls an idle shard once per second.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Emulator: how often ListShards runs to find new shards after resharding (AWS does not document its period).
   * @default 1000
   */
  shardDiscoveryIntervalMs?: number;
  /**
   * Emulator: wait before re-invoking a failed batch (AWS does not document one).
   * @default 0
   */
  retryDelayMs?: number;
  /**
   * Emulator: most records read ahead and held per shard before polling pauses.
   * @default max(10,000, 2 × batchSize × parallelizationFactor)
   */
  maxBufferedRecordsPerShard?: number;
  /**
   * Function name used in the invocation context and the failure record's `functionArn`.
   * @default 'streamfold-local'
   */
  functionName?: string;
  /**
   * Function timeout shown by `context.getRemainingTimeInMillis()` (not enforced).
   * @default 60000
   */
  functionTimeoutMs?: number;
  /**
   * The execution role ARN put in each record's `invokeIdentityArn`.
   * @default 'arn:aws:iam::000000000000:role/streamfold-local'
   */
  invokeIdentityArn?: string;
  /** Emulator: the clock for record age (ms since epoch). Tests move it forward instead of waiting a minute. */
  now?: () => number;
  /** Emulator: receives poll and destination errors that are retried, instead of staying silent. */
  onError?: (error: unknown, where: string) => void;
}

/** Options with every default filled in and every range checked. */
export type ResolvedEsmConfig = Required<
  Omit<EventSourceMappingOptions, 'startingPositionTimestamp' | 'onFailure' | 'onError'>
> &
  Pick<EventSourceMappingOptions, 'startingPositionTimestamp' | 'onFailure' | 'onError'>;

/** The largest invocation payload Lambda accepts for a synchronous invoke: 6 MB (6,291,456 bytes). */
export const MAX_PAYLOAD_BYTES = 6_291_456;

function checkInt(option: string, value: number, ok: boolean, expected: string): void {
  if (!Number.isInteger(value) || !ok) throw new SettingError(option, value, expected);
}

/** Fill in defaults and reject values AWS would reject, with an {@link SettingError} naming the option. */
export function resolveConfig(options: EventSourceMappingOptions): ResolvedEsmConfig {
  const batchSize = options.batchSize ?? 100;
  checkInt('batchSize', batchSize, batchSize >= 1 && batchSize <= 10_000, 'an integer from 1 to 10,000');
  const window = options.maximumBatchingWindowMs ?? 0;
  checkInt('maximumBatchingWindowMs', window, window >= 0 && window <= 300_000, 'an integer from 0 to 300,000 ms');
  const pf = options.parallelizationFactor ?? 1;
  checkInt('parallelizationFactor', pf, pf >= 1 && pf <= 10, 'an integer from 1 to 10');
  const retries = options.maximumRetryAttempts ?? -1;
  checkInt('maximumRetryAttempts', retries, retries >= -1 && retries <= 10_000, '-1 (infinite) or 0 to 10,000');
  const age = options.maximumRecordAgeInSeconds ?? -1;
  checkInt(
    'maximumRecordAgeInSeconds',
    age,
    age === -1 || (age >= 60 && age <= 604_800),
    '-1 (infinite) or 60 to 604,800 seconds',
  );
  const position = options.startingPosition;
  if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(position)) {
    throw new SettingError('startingPosition', position, "'TRIM_HORIZON', 'LATEST' or 'AT_TIMESTAMP'");
  }
  if (position === 'AT_TIMESTAMP' && !(options.startingPositionTimestamp instanceof Date)) {
    throw new SettingError('startingPositionTimestamp', options.startingPositionTimestamp, 'a Date with AT_TIMESTAMP');
  }
  const maxPayloadBytes = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  checkInt(
    'maxPayloadBytes',
    maxPayloadBytes,
    maxPayloadBytes >= 1 && maxPayloadBytes <= MAX_PAYLOAD_BYTES,
    `an integer from 1 to ${MAX_PAYLOAD_BYTES} (Lambda's 6 MB)`,
  );
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  checkInt('pollIntervalMs', pollIntervalMs, pollIntervalMs >= 1, 'a positive integer (ms)');
  const discovery = options.shardDiscoveryIntervalMs ?? 1000;
  checkInt('shardDiscoveryIntervalMs', discovery, discovery >= 1, 'a positive integer (ms)');
  const retryDelayMs = options.retryDelayMs ?? 0;
  checkInt('retryDelayMs', retryDelayMs, retryDelayMs >= 0, 'a non-negative integer (ms)');
  const maxBuffered = options.maxBufferedRecordsPerShard ?? Math.max(10_000, 2 * batchSize * pf);
  checkInt(
    'maxBufferedRecordsPerShard',
    maxBuffered,
    maxBuffered >= batchSize,
    `an integer ≥ batchSize (${batchSize})`,
  );
  return {
    client: options.client,
    streamName: options.streamName,
    handler: options.handler,
    startingPosition: position,
    startingPositionTimestamp: options.startingPositionTimestamp,
    batchSize,
    maximumBatchingWindowMs: window,
    parallelizationFactor: pf,
    bisectBatchOnFunctionError: options.bisectBatchOnFunctionError ?? false,
    maximumRetryAttempts: retries,
    maximumRecordAgeInSeconds: age,
    reportBatchItemFailures: options.reportBatchItemFailures ?? false,
    maxPayloadBytes,
    onFailure: options.onFailure,
    pollIntervalMs,
    shardDiscoveryIntervalMs: discovery,
    retryDelayMs,
    maxBufferedRecordsPerShard: maxBuffered,
    functionName: options.functionName ?? 'streamfold-local',
    functionTimeoutMs: options.functionTimeoutMs ?? 60_000,
    invokeIdentityArn: options.invokeIdentityArn ?? 'arn:aws:iam::000000000000:role/streamfold-local',
    now: options.now ?? Date.now,
    onError: options.onError,
  };
}
