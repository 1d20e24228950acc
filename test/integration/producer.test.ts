import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeClients } from '../../local/aws-clients';
import { generate, writeJsonl } from '../../local/generator/index';
import { createProducer, ProducerDeliveryError, produceFile } from '../../local/producer/index';
import { createStream } from './esm-helpers';

const clients = makeClients(inject('engineEndpoints'));
const kinesis = clients.kinesis;
afterAll(() => clients.destroy());

/** Every record of every shard, read from TRIM_HORIZON until a GetRecords comes back empty. */
async function readAll(name: string): Promise<_Record[]> {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
  const out: _Record[] = [];
  for (const shard of shards) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      out.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** The real client, with a count of PutRecords requests, their sizes and how many ran at once. */
function countingClient(real: KinesisClient) {
  const stats = { requests: 0, sizes: [] as number[], inFlight: 0, maxInFlight: 0 };
  return {
    stats,
    send: async (command: PutRecordsCommand) => {
      stats.requests++;
      stats.sizes.push(command.input.Records?.length ?? 0);
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      try {
        return await real.send(command);
      } finally {
        stats.inFlight--;
      }
    },
  };
}

interface TestEvent {
  id: number;
  userId: string;
}

describe('producer client against kinesis-mock', () => {
  it('writes each event with the partition key from the function', async () => {
    const name = await createStream(kinesis, 'producer-keys', 2);
    const producer = createProducer<TestEvent>({ client: kinesis, streamName: name, partitionKey: (e) => e.userId });
    const events = Array.from({ length: 60 }, (_, id) => ({ id, userId: `user-${id % 7}` }));
    await producer.sendMany(events);
    const counters = await producer.close();
    expect(counters).toMatchObject({ sent: 60, failed: 0, retried: 0, buffered: 0, inFlight: 0 });
    const written = await readAll(name);
    expect(written).toHaveLength(60);
    for (const record of written) {
      const event = JSON.parse(Buffer.from(record.Data ?? []).toString()) as TestEvent;
      expect(record.PartitionKey).toBe(`user-${event.id % 7}`);
    }
    expect(counters.bytes).toBe(
      events.reduce((n, e) => n + Buffer.byteLength(JSON.stringify(e)) + Buffer.byteLength(e.userId), 0),
    );
  });

  it('splits more than 500 records into several PutRecords requests of at most 500', async () => {
    const name = await createStream(kinesis, 'producer-split');
    const client = countingClient(kinesis);
    const producer = createProducer<TestEvent>({ client, streamName: name, partitionKey: (e) => e.userId });
    await producer.sendMany(Array.from({ length: 1234 }, (_, id) => ({ id, userId: `u${id % 50}` })));
    const counters = await producer.flush();
    expect(counters.sent).toBe(1234);
    expect(counters.requests).toBe(client.stats.requests);
    expect(client.stats.requests).toBeGreaterThanOrEqual(3);
    for (const size of client.stats.sizes) expect(size).toBeLessThanOrEqual(500);
    expect(client.stats.sizes.reduce((a, b) => a + b, 0)).toBe(1234);
    expect(await readAll(name)).toHaveLength(1234);
  });

  it('bounds requests in flight and buffered records (send waits while the buffer is full)', async () => {
    const name = await createStream(kinesis, 'producer-bp');
    const client = countingClient(kinesis);
    const producer = createProducer<TestEvent>({
      client,
      streamName: name,
      partitionKey: (e) => e.userId,
      maxInFlight: 2,
      maxBufferedRecords: 600,
    });
    let maxBuffered = 0;
    for (let id = 0; id < 2000; id++) {
      await producer.send({ id, userId: `u${id % 10}` });
      maxBuffered = Math.max(maxBuffered, producer.counters().buffered);
    }
    await producer.close();
    // the buffer filled up to its bound (so send had to wait) and never beyond it
    expect(maxBuffered).toBe(600);
    expect(client.stats.maxInFlight).toBe(2);
    expect(producer.counters().sent).toBe(2000);
  });

  it('produceFile sends a generated JSON-lines file byte for byte, malformed lines included', async () => {
    const name = await createStream(kinesis, 'producer-file', 2);
    const dir = await mkdtemp(join(tmpdir(), 'produce-file-'));
    const path = join(dir, 'events.jsonl');
    const options = { seed: 7, events: 400, malformedShare: 0.05, duplicateShare: 0.05, lateShare: 0.02 };
    await writeJsonl(path, options);
    // Lines a text reader would change: a CRLF ending, a byte order mark, invalid UTF-8, a whitespace-only line; and
    // lines Kinesis cannot take (no bytes), which are counted and skipped.
    const hostile = [
      Buffer.from('{"userId":"crlf"}\r'),
      Buffer.from('\uFEFF{"userId":"bom"}'),
      Buffer.from([0x7b, 0x22, 0x75, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      Buffer.from('   '),
    ];
    await appendFile(path, Buffer.concat([...hostile.flatMap((b) => [b, Buffer.from('\n')]), Buffer.from('\n')]));
    const result = await produceFile({
      client: kinesis,
      streamName: name,
      inputPath: path,
      partitionKey: (event, line) => {
        const userId = (event as { userId?: unknown } | undefined)?.userId;
        return typeof userId === 'string' ? userId : `raw-${line.length}`;
      },
    });
    await rm(dir, { recursive: true, force: true });
    expect(result).toMatchObject({ lines: 405, sent: 404, failed: 0, emptySkipped: 1, tooLargeSkipped: 0 });
    const expected = [
      ...[...generate(options)].map((item) => Buffer.from(item.line).toString('hex')),
      ...hostile.map((b) => b.toString('hex')),
    ].sort();
    const written = (await readAll(name)).map((r) => Buffer.from(r.Data ?? []).toString('hex')).sort();
    expect(written).toEqual(expected);
  });

  it('retries only the failed entries of a partially failed PutRecords, with backoff', async () => {
    // kinesis-mock never fails single entries, so this one test uses aws-sdk-client-mock for the partial failure.
    const mocked = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const stub = mockClient(mocked);
    stub
      .on(PutRecordsCommand)
      .resolvesOnce({
        FailedRecordCount: 2,
        Records: [
          { SequenceNumber: '1', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
          { SequenceNumber: '3', ShardId: 'shardId-000000000000' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure' },
        ],
      })
      .resolves({
        FailedRecordCount: 0,
        Records: [
          { SequenceNumber: '5', ShardId: 'shardId-000000000000' },
          { SequenceNumber: '6', ShardId: 'shardId-000000000000' },
        ],
      });
    const producer = createProducer<TestEvent>({
      client: mocked,
      streamName: 'mocked',
      partitionKey: (e) => e.userId,
      baseDelayMs: 5,
    });
    await producer.sendMany([0, 1, 2, 3].map((id) => ({ id, userId: `u${id}` })));
    const counters = await producer.close();
    const calls = stub.commandCalls(PutRecordsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Records?.map((r) => r.PartitionKey)).toEqual(['u1', 'u3']);
    expect(counters).toMatchObject({ sent: 4, retried: 2, failed: 0, requests: 2 });
    stub.restore();
  });

  it('gives up after maxRetries and reports the failed records from flush()', async () => {
    // Same reason as above: only a mock can make kinesis fail entries on every attempt.
    const mocked = new KinesisClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const stub = mockClient(mocked);
    stub.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded' }],
    });
    const failed: string[] = [];
    const producer = createProducer<TestEvent>({
      client: mocked,
      streamName: 'mocked',
      partitionKey: (e) => e.userId,
      baseDelayMs: 1,
      maxRetries: 2,
      onRecordFailed: (f) => failed.push(f.partitionKey),
    });
    await producer.send({ id: 1, userId: 'u1' });
    await expect(producer.flush()).rejects.toThrow(ProducerDeliveryError);
    expect(failed).toEqual(['u1']);
    expect(producer.counters()).toMatchObject({ sent: 0, failed: 1, retried: 2, requests: 3 });
    stub.restore();
  });
});
