// Helpers of the hostile-producer integration tests (issue 11): an SQS stand-in that applies SQS's own body rules, the
// Kinesis and MSK events of a list of records (one shard, one topic-partition), and handlers on DynamoDB Local.

import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { KinesisStreamEvent, MSKEvent, MSKRecord } from 'aws-lambda';
import type { Pipeline } from '../../core';
import {
  createKinesisHandler,
  createMskHandler,
  type InvocationSummary,
  type MskBatchResponse,
} from '../../lambdas/processor/index';
import { dedupeTableInput, stateTableInput } from '../../lambdas/state/index';
import { dynamoWrapper, lambdaContext, silentLogger } from './processor-helpers';

/** The largest SQS message and SendMessageBatch request (256 KiB). */
const SQS_MAX_BYTES = 262_144;

/** True when every character of the text is in the XML 1.0 character set, which is all SQS accepts in a body. */
export function isXmlSafe(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (
      !(
        c === 0x9 ||
        c === 0xa ||
        c === 0xd ||
        (c >= 0x20 && c <= 0xd7ff) ||
        (c >= 0xe000 && c <= 0xfffd) ||
        (c >= 0x10000 && c <= 0x10ffff)
      )
    ) {
      return false;
    }
  }
  return true;
}

/** A message as it landed on a queue: its parsed body (full or degraded). */
export type QueuedMessage = Record<string, any> & { id: string; kind: string; sequence: string };

/**
 * In-memory SQS (no embedded SQS engine exists) that enforces what SQS enforces on SendMessageBatch: a body outside
 * the XML character set or over 256 KiB fails its entry with a sender fault (InvalidMessageContents,
 * MessageTooLong), a request over 256 KiB fails as BatchRequestTooLong. `refuse` injects more sender faults (a queue
 * with a smaller MaximumMessageSize, say). Counts calls and entries, so a test can tell that nothing was resent.
 */
export class StrictSqs {
  readonly queues = new Map<string, QueuedMessage[]>();
  calls = 0;
  entries = 0;
  senderFaults = 0;
  refuse: ((body: string) => boolean) | undefined;

  readonly client = {
    send: async (command: SendMessageBatchCommand) => {
      if (!(command instanceof SendMessageBatchCommand)) throw new Error(`StrictSqs: unexpected ${command}`);
      this.calls++;
      const url = command.input.QueueUrl!;
      const entries = command.input.Entries ?? [];
      const total = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? ''), 0);
      if (total > SQS_MAX_BYTES) {
        throw Object.assign(new Error(`Batch requests cannot be longer than ${SQS_MAX_BYTES} bytes`), {
          name: 'BatchRequestTooLong',
          $fault: 'client',
        });
      }
      const queue = this.queues.get(url) ?? [];
      this.queues.set(url, queue);
      const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
      const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
      for (const entry of entries) {
        this.entries++;
        const body = entry.MessageBody ?? '';
        const fault = !isXmlSafe(body)
          ? 'InvalidMessageContents'
          : Buffer.byteLength(body) > SQS_MAX_BYTES
            ? 'MessageTooLong'
            : this.refuse?.(body)
              ? 'InvalidParameterValue'
              : undefined;
        if (fault) {
          this.senderFaults++;
          Failed.push({ Id: entry.Id!, SenderFault: true, Code: fault, Message: `refused by the SQS stand-in` });
          continue;
        }
        queue.push(JSON.parse(body) as QueuedMessage);
        Successful.push({ Id: entry.Id!, MessageId: `${queue.length}`, MD5OfMessageBody: '' });
      }
      return { Successful, Failed, $metadata: {} };
    },
  } as unknown as Pick<SQSClient, 'send'>;

  messages(url: string): QueuedMessage[] {
    return this.queues.get(url) ?? [];
  }
}

/** One record of the single shard / topic-partition of a test. */
export interface TestRecord {
  /** Base64 data (Kinesis `data`, MSK `value`); null for an MSK tombstone. */
  readonly data: string | null;
  /** Kinesis partition key / MSK key (text). */
  readonly partitionKey: string;
  readonly arrivalMs: number;
}

export const SHARD = 'shardId-000000000000';
export const TOPIC = 'hostile';
const SEQUENCE_BASE = 49_650_000_000_000_000_000_000_000_000_000_000_000_000_000_000n;

/** Sequence number of the record at `index` (Kinesis-like 56 digits, gaps between them). */
export const sequenceOf = (index: number): string => String(SEQUENCE_BASE + BigInt(index) * 7n);
/** MSK offset of the record at `index`. */
export const offsetOf = (index: number): number => 1000 + index;

/** The Kinesis event of records `from..from+records.length` of one shard. */
export function kinesisEventOf(records: readonly TestRecord[], from: number): KinesisStreamEvent {
  return {
    Records: records.map((r, i) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: sequenceOf(from + i),
        data: r.data as string,
        approximateArrivalTimestamp: r.arrivalMs / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${SHARD}:${sequenceOf(from + i)}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
      awsRegion: 'us-east-1',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/hostile',
    })),
  };
}

/** The MSK event of records `from..` of one topic-partition (LOG_APPEND_TIME: the broker's arrival time). */
export function mskEventOf(records: readonly TestRecord[], from: number): MSKEvent {
  const group: MSKRecord[] = records.map(
    (r, i) =>
      ({
        topic: TOPIC,
        partition: 0,
        offset: offsetOf(from + i),
        timestamp: r.arrivalMs,
        timestampType: 'LOG_APPEND_TIME',
        key: Buffer.from(r.partitionKey, 'utf8').toString('base64'),
        value: r.data,
        headers: [],
      }) as unknown as MSKRecord,
  );
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/test/abc',
    bootstrapServers: 'b-1.test:9092',
    records: { [`${TOPIC}-0`]: group },
  };
}

export const REJECTED_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/hostile-rejected';
export const LATE_URL = 'https://sqs.us-east-1.amazonaws.com/000000000000/hostile-late';

/** Which handler a test drives. */
export type HandlerKind = 'kinesis' | 'msk';

/**
 * Fresh state and dedupe tables with the deployed key schema, without TTL and without a stream. Without TTL: the
 * corpus's events are dated 2026-01-01 and a state item's TTL follows event time (see the report of issue 11), so
 * DynamoDB Local's TTL sweeper would delete state in the middle of a test; the processor's decisions are what is
 * tested here.
 */
export async function tablesWithoutTtl(dynamodb: Pick<DynamoDBClient, 'send'>, label: string) {
  const suffix = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
  const names = { stateTable: `${label}-state-${suffix}`, dedupeTable: `${label}-dedupe-${suffix}` };
  for (const input of [stateTableInput(names.stateTable, { stream: false }), dedupeTableInput(names.dedupeTable)]) {
    await dynamodb.send(new CreateTableCommand(input));
    for (let i = 0; i < 300; i++) {
      const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return names;
}

/**
 * A processor handler of `kind` on fresh DynamoDB Local tables with a {@link StrictSqs}; invoke with records. `now` is
 * the handler's clock: run it when the records arrive, as Lambda does (the future-time rule compares with arrival).
 */
export async function hostileProcessor(
  dynamodb: Pick<DynamoDBClient, 'send'>,
  pipeline: Pipeline,
  kind: HandlerKind,
  options: { now?: () => number } = {},
) {
  const tables = await tablesWithoutTtl(dynamodb, `hostile-${kind}`);
  const wrapper = dynamoWrapper(dynamodb, tables.stateTable);
  const sqs = new StrictSqs();
  const summaries: InvocationSummary[] = [];
  const deps = {
    dynamodb: wrapper.client,
    sqs: sqs.client,
    ...tables,
    rejectedQueueUrl: REJECTED_URL,
    lateQueueUrl: LATE_URL,
    storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
    logger: silentLogger(),
    onInvocation: (s: InvocationSummary) => summaries.push(s),
    ...(options.now ? { now: options.now } : {}),
  };
  const kinesis = kind === 'kinesis' ? createKinesisHandler(pipeline, deps) : undefined;
  const msk = kind === 'msk' ? createMskHandler(pipeline, deps) : undefined;
  let invocations = 0;
  /** Invoke the handler once with records `from..`; returns its batch item failures. */
  const invoke = async (records: readonly TestRecord[], from: number): Promise<unknown[]> => {
    invocations++;
    if (kinesis) return (await kinesis(kinesisEventOf(records, from), lambdaContext())).batchItemFailures;
    const out = (await msk!(mskEventOf(records, from), lambdaContext())) as MskBatchResponse;
    return out.batchItemFailures;
  };
  return {
    tables,
    wrapper,
    sqs,
    summaries,
    invoke,
    get invocations() {
      return invocations;
    },
    /** The record index a side-output message is about. */
    indexOf(message: QueuedMessage): number {
      return kind === 'kinesis'
        ? Number((BigInt(message.sequence) - SEQUENCE_BASE) / 7n)
        : Number(message.sequence) - 1000;
    },
  };
}
