// Helpers of the processor integration tests: a clickstream generator, Kinesis round trip, Lambda event builders,
// a DynamoDB client wrapper that records state writes and injects crashes/throttles, an in-memory SQS stand-in,
// and the conversion of stored state into window results for comparison with replay().

import { Logger } from '@aws-lambda-powertools/logger';
import { type DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamEvent, KinesisStreamRecord, MSKEvent, MSKRecord } from 'aws-lambda';
import { compareResults, flushAll, type HashKeyRange, layoutOf, type Pipeline, type WindowResult } from '../../core';
import { expandOutbox, readStoredValue, type StoredAlert, type StoredKeyState } from '../../lambdas/processor/index';
import type { SideOutputMessage } from '../../lambdas/side-output/index';
import { decodeStateAttribute, ensureStateTables } from '../../lambdas/state/index';

// Keep EMF output out of the test log (metrics are asserted through the invocation summary instead).
process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** A logger that prints nothing. */
export const silentLogger = () => new Logger({ serviceName: 'test', logLevel: 'SILENT' });

/** Small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ['click', 'view', 'search', 'add_to_cart', 'purchase', 'login'] as const;

/** Options of {@link clickLines}. */
export interface ClickOptions {
  events: number;
  users: number;
  seed?: number;
  /** First event time (ms). @default two hours ago, on a minute boundary */
  start?: number;
  /** Milliseconds between consecutive events. @default 3000 */
  spacingMs?: number;
  /** Share of events sent 8 minutes back in event time (late for some windows). @default 0.05 */
  lateShare?: number;
  /** Share of events the producer sends twice (a few records later). @default 0.05 */
  duplicateShare?: number;
  /** Malformed lines mixed in. @default 3 */
  malformed?: number;
  /** Events of a "bot" user within one minute (fires the potential-bot alert when > 100). @default 0 */
  botEvents?: number;
  /** Zipf exponent for user popularity (0 = uniform). @default 0 */
  zipf?: number;
  /** User id prefix. @default 'u' */
  userPrefix?: string;
}

/**
 * Clickstream lines (pipelines/clickstream.ts shape) in send order, with late events, producer duplicates (the same
 * line again a few records later), malformed lines and optionally a bot burst.
 */
export function clickLines(options: ClickOptions): string[] {
  const random = prng(options.seed ?? 7);
  const start = options.start ?? Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
  const spacing = options.spacingMs ?? 3000;
  const prefix = options.userPrefix ?? 'u';
  const zipf = options.zipf ?? 0;
  const weights = Array.from({ length: options.users }, (_, i) => 1 / (i + 1) ** zipf);
  const cumulative: number[] = [];
  weights.reduce((sum, w, i) => {
    cumulative[i] = sum + w;
    return cumulative[i]!;
  }, 0);
  const total = cumulative[cumulative.length - 1]!;
  const pickUser = () => {
    const x = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return `${prefix}${lo}`;
  };
  const lines: string[] = [];
  const resend: { at: number; line: string }[] = [];
  for (let i = 0; i < options.events; i++) {
    let time = start + i * spacing;
    if (random() < (options.lateShare ?? 0.05)) time -= 8 * 60_000;
    const event: Record<string, unknown> = {
      eventId: `e${options.seed ?? 7}-${i}`,
      userId: pickUser(),
      type: TYPES[Math.floor(random() * TYPES.length)],
      ts: new Date(time).toISOString(),
    };
    if (random() < 0.5) event.page = `/p/${Math.floor(random() * 20)}`;
    const line = JSON.stringify(event);
    lines.push(line);
    if (random() < (options.duplicateShare ?? 0.05)) resend.push({ at: i + 1 + Math.floor(random() * 5), line });
    for (const r of resend.filter((r) => r.at === i)) lines.push(r.line);
  }
  for (const r of resend.filter((r) => r.at >= options.events)) lines.push(r.line);
  const malformed = [
    '{"eventId":"x1","userId":"u0"',
    '{"eventId":"x2","type":"click","ts":"2020-01-01T00:00:00Z"}',
    'not json',
  ];
  for (let m = 0; m < (options.malformed ?? 3); m++) {
    lines.splice(Math.floor(random() * lines.length), 0, malformed[m % malformed.length]!);
  }
  const bot = options.botEvents ?? 0;
  if (bot > 0) {
    const at = Math.floor(lines.length / 2);
    const botStart = start + at * spacing;
    const burst = Array.from({ length: bot }, (_, j) =>
      JSON.stringify({
        eventId: `bot-${j}`,
        userId: `${prefix}bot`,
        type: 'click',
        ts: new Date(botStart + Math.floor((j * 50_000) / bot)).toISOString(),
      }),
    );
    lines.splice(at, 0, ...burst);
  }
  return lines;
}

/** A record as read back from a shard, with its Lambda form. */
export interface ShardRecord {
  shardId: string;
  sequence: string;
  /** Position of the record's line in the input. */
  line: number;
  lambda: KinesisStreamRecord;
}

/** Hash key ranges of a stream's shards (for replay's `shards` option). */
export async function shardRanges(
  kinesis: KinesisClient,
  stream: string,
): Promise<{ shards: Shard[]; ranges: HashKeyRange[] }> {
  const out = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const shards = out.Shards ?? [];
  return {
    shards,
    ranges: shards.map((s) => ({
      startingHashKey: s.HashKeyRange!.StartingHashKey!,
      endingHashKey: s.HashKeyRange!.EndingHashKey!,
    })),
  };
}

/**
 * Read every record back from every shard (GetRecords from TRIM_HORIZON) and build the record Lambda delivers:
 * base64 data, sequenceNumber, approximateArrivalTimestamp in seconds, partitionKey, eventSourceARN,
 * eventID `shardId:sequence`. `lineOf` maps a sequence number to its input line (from PutRecords).
 */
export async function readBack(
  kinesis: KinesisClient,
  stream: string,
  expected: number,
  lineOf: Map<string, number>,
): Promise<Map<string, ShardRecord[]>> {
  const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
  const arn = summary.StreamDescriptionSummary!.StreamARN!;
  const { shards } = await shardRanges(kinesis, stream);
  const byShard = new Map<string, ShardRecord[]>();
  let count = 0;
  for (const shard of shards) {
    const shardId = shard.ShardId!;
    const list: ShardRecord[] = [];
    byShard.set(shardId, list);
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    for (let empty = 0; iterator && empty < 3; ) {
      const out = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      const records = out.Records ?? [];
      if (records.length === 0) empty++;
      for (const r of records) {
        const sequence = r.SequenceNumber!;
        list.push({
          shardId,
          sequence,
          line: lineOf.get(sequence) ?? -1,
          lambda: {
            kinesis: {
              kinesisSchemaVersion: '1.0',
              partitionKey: r.PartitionKey!,
              sequenceNumber: sequence,
              data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
              approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!.getTime() / 1000,
            },
            eventSource: 'aws:kinesis',
            eventVersion: '1.0',
            eventID: `${shardId}:${sequence}`,
            eventName: 'aws:kinesis:record',
            invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
            awsRegion: 'us-east-1',
            eventSourceARN: arn,
          },
        });
      }
      count += records.length;
      iterator = out.NextShardIterator;
      if (out.MillisBehindLatest === 0 && records.length === 0) break;
    }
  }
  if (count !== expected) throw new Error(`read back ${count} records, expected ${expected}`);
  return byShard;
}

/** The Kinesis event for these records. */
export const kinesisEvent = (records: readonly ShardRecord[]): KinesisStreamEvent => ({
  Records: records.map((r) => r.lambda),
});

/** Consecutive slices of `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A Lambda context (the handlers only log its fields). */
export function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'processor',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:processor',
    memoryLimitInMB: '1024',
    awsRequestId: `req-${Math.random().toString(36).slice(2)}`,
    logGroupName: '/aws/lambda/processor',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** An MSK record as Lambda delivers it (base64 key and value, headers as byte arrays). */
export function mskRecord(topic: string, partition: number, offset: number, key: string, line: string): MSKRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: Buffer.from(key).toString('base64'),
    value: Buffer.from(line).toString('base64'),
    headers: [{ source: [...Buffer.from('test')] }],
  } as MSKRecord;
}

/** An MSK event: records grouped by `topic-partition`. */
export function mskEvent(records: readonly MSKRecord[]): MSKEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const r of records) {
    const group = `${r.topic}-${r.partition}`;
    grouped[group] = [...(grouped[group] ?? []), r];
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/test/abc',
    bootstrapServers: 'b-1.test:9092',
    records: grouped,
  };
}

/** An error shaped like the SDK's. */
export function awsError(name: string): Error {
  return Object.assign(new Error(`injected ${name}`), { name });
}

/** What a {@link dynamoWrapper} saw land (shareable between wrappers). */
export interface Recorded {
  /** Results finalized by state writes that landed (their `r`). */
  results: WindowResult[];
  /** Alerts fired by state writes that landed (their `a`). */
  alerts: StoredAlert[];
  /** Side-output messages decided by state writes that landed (their `o`: what the emitter delivers). */
  outbox?: SideOutputMessage[];
  /** Records dropped as duplicates by state writes that landed (their `u`). */
  duplicates?: string[];
  /** State PutItems issued. */
  statePuts: number;
  /** State PutItems that landed. */
  landed: number;
}

/** Options of {@link dynamoWrapper} (all switchable between invocations). */
export interface WrapperControls {
  /**
   * After this many state PutItems have been issued, the next state or checkpoint PutItem and every later call fail:
   * the process "died".
   */
  dieAfterStatePuts?: number;
  /** The next checkpoint PutItem fails and the process "dies". */
  dieOnCheckpoint?: boolean;
  /** State PutItems of this key fail with a throttle (before the call; no engine throttles, so it is injected). */
  throttleKey?: string;
  /** Awaited before each state PutItem (to hold racing invocations at the same point). */
  beforeStatePut?: () => Promise<void>;
}

/**
 * Wrap the real DynamoDB client: record the `r` (finalized results) and `a` (alerts) of every state write that landed
 * (the DynamoDB stream's NEW images, which the emitter will read), and inject faults per `controls`.
 */
export function dynamoWrapper(
  real: Pick<DynamoDBClient, 'send'>,
  stateTable: string,
  controls: WrapperControls = {},
  recorded: Recorded = { results: [], alerts: [], statePuts: 0, landed: 0 },
) {
  let dead = false;
  const send = (async (command: { constructor: { name: string }; input: any }) => {
    if (dead) throw awsError('ProcessCrashed');
    const name = command.constructor.name;
    const input = command.input;
    const isPut = name === 'PutItemCommand' && input.TableName === stateTable;
    const pk: string | undefined = input?.Item?.pk?.S;
    const isCheckpoint = isPut && pk === '#checkpoints';
    const isStatePut = isPut && input.Item?.sk?.S === 'state';
    const pastLimit = controls.dieAfterStatePuts !== undefined && recorded.statePuts >= controls.dieAfterStatePuts;
    if (isCheckpoint && (controls.dieOnCheckpoint || pastLimit)) {
      dead = true;
      throw awsError('ProcessCrashed');
    }
    if (isStatePut) {
      if (controls.throttleKey !== undefined && pk === controls.throttleKey) {
        throw awsError('ProvisionedThroughputExceededException');
      }
      if (pastLimit) {
        dead = true;
        throw awsError('ProcessCrashed');
      }
      recorded.statePuts++;
      await controls.beforeStatePut?.();
    }
    const out = await real.send(command as never);
    if (isStatePut && input.Item.s) {
      recorded.landed++;
      const stored = JSON.parse(decodeStateAttribute(input.Item.s)!) as StoredKeyState;
      recorded.results.push(...(stored.r ?? []));
      recorded.alerts.push(...(stored.a ?? []));
      (recorded.outbox ??= []).push(...expandOutbox(stored.o ?? []));
      (recorded.duplicates ??= []).push(...(stored.u ?? []));
    }
    return out;
  }) as unknown as DynamoDBClient['send'];
  return {
    client: { send } as Pick<DynamoDBClient, 'send'>,
    recorded,
    controls,
    /** Bring the "process" back (a new container, or the same one after the crash). */
    revive() {
      dead = false;
    },
    get dead() {
      return dead;
    },
  };
}

/** In-memory stand-in for SQS (no embedded SQS engine exists): accepts SendMessageBatch, can fail entries. */
export class MemorySqs {
  readonly queues = new Map<string, SideOutputMessage[]>();
  /** Entries for which this returns true fail (retryable, SenderFault false). */
  failEntry: ((message: SideOutputMessage, attempt: number) => boolean) | undefined;
  #attempts = new Map<string, number>();

  readonly client = {
    send: async (command: SendMessageBatchCommand) => {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error(`MemorySqs: unexpected ${command}`);
      const url = command.input.QueueUrl!;
      const queue = this.queues.get(url) ?? [];
      this.queues.set(url, queue);
      const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
      const Failed: { Id: string; SenderFault: boolean; Code: string }[] = [];
      for (const entry of command.input.Entries ?? []) {
        const message = JSON.parse(entry.MessageBody!) as SideOutputMessage;
        const attempt = (this.#attempts.get(message.id) ?? 0) + 1;
        this.#attempts.set(message.id, attempt);
        if (this.failEntry?.(message, attempt))
          Failed.push({ Id: entry.Id!, SenderFault: false, Code: 'InternalError' });
        else {
          queue.push(message);
          Successful.push({ Id: entry.Id!, MessageId: `${queue.length}`, MD5OfMessageBody: '' });
        }
      }
      return { Successful, Failed, $metadata: {} };
    },
  } as unknown as Pick<SQSClient, 'send'>;

  /** Distinct message ids received on a queue (consumers drop redeliveries by id). */
  ids(url: string): string[] {
    return [...new Set((this.queues.get(url) ?? []).map((m) => m.id))].sort();
  }
}

/** Unique table names (one pair per scenario) and their creation. */
export async function freshTables(dynamodb: Pick<DynamoDBClient, 'send'>, label: string) {
  const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  const names = { stateTable: `${label}-state-${suffix}`, dedupeTable: `${label}-dedupe-${suffix}` };
  await ensureStateTables(dynamodb, names);
  return names;
}

/**
 * Window results held by the state table (open and closed windows of every key, flushed as at end of input) plus the
 * finalized results recorded from the writes, sorted like replay() sorts them.
 */
export async function tableResults(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  stateTable: string,
  pipeline: Pipeline,
  finalized: readonly WindowResult[],
): Promise<WindowResult[]> {
  const layout = layoutOf(pipeline);
  const results: WindowResult[] = [...finalized];
  let startKey: Record<string, any> | undefined;
  do {
    const out = await dynamodb.send(
      new ScanCommand({ TableName: stateTable, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const item of out.Items ?? []) {
      const text = decodeStateAttribute(item.s);
      if (item.sk?.S !== 'state' || text === undefined) continue;
      const key = item.pk!.S!;
      results.push(...flushAll(layout, key, readStoredValue(key, JSON.parse(text)).k));
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return results.sort(compareResults);
}
