/**
 * Conformance of the local event source mapping with AWS Lambda's documented Kinesis behaviour, against kinesis-mock.
 * Each test is named after the rule it checks; sources:
 * - https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html (polling, batching, ordering, parallelization)
 * - https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html (partial batch response)
 * - https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html (retries, bisect, destination)
 * - https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-parameters.html (parameter ranges and defaults)
 */
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type KinesisClient, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { SettingError } from '../../core/errors';
import { makeClients } from '../../local/aws-clients';
import {
  buildEvent,
  EventSourceMapping,
  type EventSourceMappingOptions,
  eventSize,
  fittingCount,
  jsonlFileDestination,
  type KinesisFailureRecord,
  MAX_PAYLOAD_BYTES,
  memoryDestination,
  takeBatch,
  toPolledRecord,
} from '../../local/esm/index';
import { createStream, putRecords, recordingHandler, records, waitActive } from './esm-helpers';

const clients = makeClients(inject('engineEndpoints'));
const kinesis: KinesisClient = clients.kinesis;
const running: EventSourceMapping[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((esm) => esm.stop()));
});
afterAll(() => clients.destroy());

/** Start a mapping with fast polling (20 ms) for tests. */
async function startEsm(
  options: Omit<EventSourceMappingOptions, 'client' | 'startingPosition'> &
    Partial<Pick<EventSourceMappingOptions, 'startingPosition'>>,
): Promise<EventSourceMapping> {
  const esm = new EventSourceMapping({
    client: kinesis,
    startingPosition: 'TRIM_HORIZON',
    pollIntervalMs: 20,
    shardDiscoveryIntervalMs: 50,
    ...options,
  });
  running.push(esm);
  await esm.start();
  return esm;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `r${from + i}`);

describe('local Kinesis event source mapping (AWS Lambda conformance)', () => {
  it('builds each record exactly as Lambda does (base64 data, arrival in seconds, eventID shardId:sequence)', async () => {
    const name = await createStream(kinesis, 'esm-shape');
    const [put] = await putRecords(kinesis, name, [{ key: 'user-1', data: '{"hello":"world"}' }]);
    const rec = recordingHandler();
    const esm = await startEsm({ streamName: name, handler: rec.handler, functionName: 'processor' });
    await esm.drain();
    const record = rec.calls[0]?.event.Records[0];
    expect(Object.keys(rec.calls[0]?.event ?? {})).toEqual(['Records']);
    expect(record).toEqual({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'user-1',
        sequenceNumber: put?.sequenceNumber,
        data: Buffer.from('{"hello":"world"}').toString('base64'),
        approximateArrivalTimestamp: expect.any(Number),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${put?.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/streamfold-local',
      awsRegion: 'us-east-1',
      eventSourceARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
    });
    const arrival = record?.kinesis.approximateArrivalTimestamp ?? 0;
    expect(Math.abs(arrival - Date.now() / 1000)).toBeLessThan(60);
    expect(rec.calls[0]?.context.functionName).toBe('processor');
    expect(rec.calls[0]?.context.getRemainingTimeInMillis()).toBeGreaterThan(0);
  });

  it('processes records of a shard in order with one batch in flight, at most BatchSize records each', async () => {
    const name = await createStream(kinesis, 'esm-order', 2);
    await putRecords(
      kinesis,
      name,
      records(120, (i) => `key-${i % 13}`),
    );
    const rec = recordingHandler(undefined, { delayMs: 5 });
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 7 });
    await esm.drain();
    expect(rec.allData().sort()).toEqual(range(0, 120).sort());
    for (const call of rec.calls) {
      expect(call.seqs.length).toBeLessThanOrEqual(7);
      expect(new Set(call.shards).size).toBe(1);
    }
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const seqs = rec.calls.filter((c) => c.shards[0] === shard).flatMap((c) => c.seqs.map(BigInt));
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs).toEqual([...seqs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    // one batch per shard in flight: never more concurrent invocations than shards
    expect(rec.maxInFlight).toBeLessThanOrEqual(2);
  });

  it('waits up to MaximumBatchingWindowInSeconds to fill a batch', async () => {
    const name = await createStream(kinesis, 'esm-window');
    const rec = recordingHandler();
    const esm = await startEsm({ streamName: name, handler: rec.handler, maximumBatchingWindowMs: 1000 });
    const t0 = Date.now();
    await putRecords(kinesis, name, records(5));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rec.calls).toHaveLength(0);
    await putRecords(
      kinesis,
      name,
      records(5).map((r, i) => ({ ...r, data: `r${i + 5}` })),
    );
    await esm.drain();
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]?.data).toEqual(range(0, 10));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });

  it('never exceeds the 6 MB invocation payload (about 3,000 records of 1 KiB fill one invocation)', () => {
    // No engine here: kinesis-mock moves ~1 MB/s, so 6 MB of records would take seconds; the engine test below
    // checks the same batching with a lowered cap.
    const source = {
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
      region: 'us-east-1',
      invokeIdentityArn: 'r',
    };
    const queue = Array.from({ length: 5000 }, (_, i) =>
      toPolledRecord(
        {
          SequenceNumber: (10n ** 55n + BigInt(i)).toString(),
          PartitionKey: `user-${i}`,
          Data: new Uint8Array(1024).fill(97),
          ApproximateArrivalTimestamp: new Date(),
        },
        'shardId-000000000000',
        source,
      ),
    );
    const next = queue[fittingCount(queue, 10_000)];
    const batch = takeBatch(queue, 10_000);
    const bytes = Buffer.byteLength(JSON.stringify(buildEvent(batch)));
    expect(bytes).toBe(eventSize(batch));
    expect(bytes).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES);
    expect(bytes + 1 + (next?.sizeBytes ?? 0)).toBeGreaterThan(MAX_PAYLOAD_BYTES);
    expect(batch.length).toBeGreaterThan(2900);
    expect(batch.length).toBeLessThan(3600);
  });

  it('splits batches at the payload cap rather than exceed it, filling each batch up to the cap', async () => {
    const name = await createStream(kinesis, 'esm-payload');
    const body = 'x'.repeat(4096);
    await putRecords(
      kinesis,
      name,
      Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, data: `${i.toString().padStart(2, '0')}${body}` })),
    );
    const cap = 64 * 1024;
    const rec = recordingHandler();
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 100, maxPayloadBytes: cap });
    await esm.drain();
    expect(rec.calls.flatMap((c) => c.data.map((d) => d.slice(0, 2)))).toEqual(
      Array.from({ length: 40 }, (_, i) => i.toString().padStart(2, '0')),
    );
    const sizes = rec.calls.map((c) => Buffer.byteLength(JSON.stringify(c.event)));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(cap);
    // every batch but the last is full: one more ~5.9 KB record would not have fit
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(cap - 6200);
    expect(rec.calls.length).toBeGreaterThanOrEqual(4);
  });

  it('keeps partition keys on one lane with ParallelizationFactor > 1 (per-key order, concurrent lanes)', async () => {
    const name = await createStream(kinesis, 'esm-pf');
    await putRecords(
      kinesis,
      name,
      records(300, (i) => `key-${i % 20}`),
    );
    const rec = recordingHandler(undefined, { delayMs: 15 });
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 10, parallelizationFactor: 4 });
    await esm.drain();
    expect(rec.allData().sort()).toEqual(range(0, 300).sort());
    expect(rec.maxInFlight).toBeGreaterThan(1);
    expect(rec.maxInFlight).toBeLessThanOrEqual(4);
    for (const call of rec.calls) expect(call.overlappingKeys).toEqual([]);
    const perKey = new Map<string, number[]>();
    for (const call of rec.calls) {
      for (const [i, key] of call.keys.entries()) {
        perKey.set(key, [...(perKey.get(key) ?? []), Number(call.data[i]?.slice(1))]);
      }
    }
    for (const values of perKey.values()) expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it('retries a failed batch (the same records, in order) until it succeeds', async () => {
    const name = await createStream(kinesis, 'esm-retry');
    await putRecords(kinesis, name, records(4));
    const rec = recordingHandler((_call, index) => {
      if (index < 2) throw new Error('transient');
    });
    const esm = await startEsm({ streamName: name, handler: rec.handler });
    await esm.drain();
    expect(rec.calls.map((c) => c.data)).toEqual([range(0, 4), range(0, 4), range(0, 4)]);
    expect(esm.counters()).toMatchObject({ retries: 2, functionErrors: 2, recordsSucceeded: 4, recordsDiscarded: 0 });
  });

  it('bisects a failed batch and retries the halves, first half first (BisectBatchOnFunctionError)', async () => {
    const name = await createStream(kinesis, 'esm-bisect');
    await putRecords(kinesis, name, records(8));
    const destination = memoryDestination();
    const rec = recordingHandler((call) => {
      if (call.data.includes('r5')) throw new Error('poison record r5');
    });
    const esm = await startEsm({
      streamName: name,
      handler: rec.handler,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 0,
      onFailure: destination,
    });
    await esm.drain();
    expect(rec.calls.map((c) => c.data)).toEqual([
      range(0, 8),
      range(0, 4),
      range(4, 8),
      range(4, 6),
      ['r4'],
      ['r5'],
      range(6, 8),
    ]);
    expect(destination.records).toHaveLength(1);
    expect(destination.records[0]?.KinesisBatchInfo.batchSize).toBe(1);
    expect(destination.records[0]?.KinesisBatchInfo.startSequenceNumber).toBe(rec.calls[5]?.seqs[0]);
    expect(esm.counters()).toMatchObject({ bisects: 3, retries: 0, recordsSucceeded: 7, recordsDiscarded: 1 });
  });

  it('sends a metadata record to the on-failure destination after MaximumRetryAttempts, then moves on', async () => {
    const name = await createStream(kinesis, 'esm-dest');
    const puts = await putRecords(kinesis, name, records(3));
    const destination = memoryDestination();
    const rec = recordingHandler((call) => {
      if (call.data.includes('r0')) throw new Error('always fails');
    });
    const esm = await startEsm({
      streamName: name,
      handler: rec.handler,
      maximumRetryAttempts: 2,
      onFailure: destination,
    });
    await esm.drain();
    expect(rec.calls).toHaveLength(3); // first attempt + 2 retries
    const failure = destination.records[0] as KinesisFailureRecord;
    expect(failure).toEqual({
      requestContext: {
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:streamfold-local',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: puts[0]?.sequenceNumber,
        endSequenceNumber: puts[2]?.sequenceNumber,
        approximateArrivalOfFirstRecord: expect.stringMatching(/Z$/),
        approximateArrivalOfLastRecord: expect.stringMatching(/Z$/),
        batchSize: 3,
        streamArn: `arn:aws:kinesis:us-east-1:000000000000:stream/${name}`,
      },
    });
    await putRecords(kinesis, name, [{ key: 'k', data: 'after' }]);
    await esm.drain();
    expect(rec.calls.at(-1)?.data).toEqual(['after']);
    expect(esm.counters()).toMatchObject({ failuresToDestination: 1, recordsDiscarded: 3, retries: 2 });
  });

  it('checkpoints at the lowest failed sequence from batchItemFailures and retries from it', async () => {
    const name = await createStream(kinesis, 'esm-partial');
    await putRecords(kinesis, name, records(10));
    const rec = recordingHandler((call, index) =>
      index === 0
        ? { batchItemFailures: [{ itemIdentifier: call.seqs[6] }, { itemIdentifier: call.seqs[3] }] }
        : { batchItemFailures: [] },
    );
    const esm = await startEsm({ streamName: name, handler: rec.handler, reportBatchItemFailures: true });
    await esm.drain();
    expect(rec.calls.map((c) => c.data)).toEqual([range(0, 10), range(3, 10)]);
    expect(esm.counters()).toMatchObject({ partialFailures: 1, retries: 1, recordsSucceeded: 10 });
  });

  it.each([
    ['an empty itemIdentifier', { itemIdentifier: '' }],
    ['a null itemIdentifier', { itemIdentifier: null }],
    ['a wrong key name instead of itemIdentifier', { itemId: 'x' }],
    ['an itemIdentifier that is not in the batch', { itemIdentifier: '1' }],
  ])('treats %s as a whole-batch failure', async (_label, entry) => {
    const name = await createStream(kinesis, 'esm-invalid');
    await putRecords(kinesis, name, records(5));
    const rec = recordingHandler((call, index) => {
      const bad = { batchItemFailures: [{ itemIdentifier: call.seqs[2] }, entry] };
      return index === 0 ? bad : undefined;
    });
    const esm = await startEsm({ streamName: name, handler: rec.handler, reportBatchItemFailures: true });
    await esm.drain();
    expect(rec.calls.map((c) => c.data)).toEqual([range(0, 5), range(0, 5)]);
    expect(esm.counters()).toMatchObject({ invalidResponses: 1, partialFailures: 0, retries: 1 });
  });

  it('treats an empty or null batchItemFailures list, or no response, as complete success', async () => {
    const name = await createStream(kinesis, 'esm-success');
    await putRecords(kinesis, name, records(9));
    const responses = [{ batchItemFailures: [] }, { batchItemFailures: null }, null, undefined, {}];
    const rec = recordingHandler((_call, index) => responses[index % responses.length]);
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 2, reportBatchItemFailures: true });
    await esm.drain();
    expect(rec.allData()).toEqual(range(0, 9));
    expect(esm.counters()).toMatchObject({ retries: 0, recordsSucceeded: 9 });
  });

  it('ignores batchItemFailures unless ReportBatchItemFailures is turned on', async () => {
    const name = await createStream(kinesis, 'esm-noreport');
    await putRecords(kinesis, name, records(3));
    const rec = recordingHandler((call) => ({ batchItemFailures: [{ itemIdentifier: call.seqs[0] }] }));
    const esm = await startEsm({ streamName: name, handler: rec.handler });
    await esm.drain();
    expect(rec.calls).toHaveLength(1);
    expect(esm.counters()).toMatchObject({ retries: 0, recordsSucceeded: 3 });
  });

  it('discards records older than MaximumRecordAgeInSeconds to the on-failure destination', async () => {
    const name = await createStream(kinesis, 'esm-age');
    await putRecords(kinesis, name, records(4));
    const path = join(tmpdir(), `esm-age-${Date.now()}.jsonl`);
    let offsetMs = 0;
    const rec = recordingHandler(() => {
      offsetMs = 61_000; // the clock jumps past the maximum age while the batch is being retried
      throw new Error('fails until the records expire');
    });
    const esm = await startEsm({
      streamName: name,
      handler: rec.handler,
      maximumRecordAgeInSeconds: 60,
      onFailure: jsonlFileDestination(path),
      now: () => Date.now() + offsetMs,
    });
    await esm.drain();
    expect(rec.calls).toHaveLength(1);
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    await rm(path, { force: true });
    expect(lines).toHaveLength(1);
    const failure = JSON.parse(lines[0] ?? '{}') as KinesisFailureRecord;
    expect(failure.requestContext.condition).toBe('RecordAgeExceeded');
    expect(failure.requestContext.approximateInvokeCount).toBe(1);
    expect(failure.KinesisBatchInfo.batchSize).toBe(4);
    expect(esm.counters()).toMatchObject({ recordsDiscarded: 4, failuresToDestination: 1, recordsSucceeded: 0 });
  });

  it('starts at LATEST: only records written after the mapping starts are read', async () => {
    const name = await createStream(kinesis, 'esm-latest');
    await putRecords(kinesis, name, records(3));
    const rec = recordingHandler();
    const esm = await startEsm({ streamName: name, handler: rec.handler, startingPosition: 'LATEST' });
    await putRecords(kinesis, name, [
      { key: 'k', data: 'new1' },
      { key: 'k', data: 'new2' },
    ]);
    await esm.drain();
    expect(rec.allData()).toEqual(['new1', 'new2']);
  });

  it('starts at TRIM_HORIZON: every record in the shard is read, oldest first', async () => {
    const name = await createStream(kinesis, 'esm-trim');
    await putRecords(kinesis, name, records(3));
    const rec = recordingHandler();
    const esm = await startEsm({ streamName: name, handler: rec.handler, startingPosition: 'TRIM_HORIZON' });
    await putRecords(kinesis, name, [{ key: 'k', data: 'r3' }]);
    await esm.drain();
    expect(rec.allData()).toEqual(range(0, 4));
  });

  it('starts AT_TIMESTAMP: records that arrived before the timestamp are skipped', async () => {
    const name = await createStream(kinesis, 'esm-ts');
    await putRecords(kinesis, name, records(3));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const at = new Date();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await putRecords(kinesis, name, [{ key: 'k', data: 'later' }]);
    const rec = recordingHandler();
    const esm = await startEsm({
      streamName: name,
      handler: rec.handler,
      startingPosition: 'AT_TIMESTAMP',
      startingPositionTimestamp: at,
    });
    await esm.drain();
    expect(rec.allData()).toEqual(['later']);
  });

  it('drains parent shards before children after a split', async () => {
    const name = await createStream(kinesis, 'esm-split');
    await putRecords(
      kinesis,
      name,
      records(40, (i) => `key-${i}`),
    );
    const rec = recordingHandler(undefined, { delayMs: 25 });
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 4 });
    await kinesis.send(
      new SplitShardCommand({
        StreamName: name,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitActive(kinesis, name);
    await putRecords(
      kinesis,
      name,
      records(40, (i) => `key-${i}`).map((r, i) => ({ ...r, data: `c${i}` })),
    );
    await esm.drain();
    const shardsInOrder = rec.calls.map((c) => c.shards[0]);
    const lastParent = shardsInOrder.lastIndexOf('shardId-000000000000');
    const firstChild = shardsInOrder.findIndex((s) => s !== 'shardId-000000000000');
    expect(lastParent).toBeGreaterThan(0);
    expect(firstChild).toBeGreaterThan(lastParent);
    expect(new Set(shardsInOrder.slice(firstChild))).toEqual(new Set(['shardId-000000000001', 'shardId-000000000002']));
    expect(rec.allData().filter((d) => d.startsWith('r'))).toEqual(range(0, 40));
    expect(rec.allData().filter((d) => d.startsWith('c'))).toHaveLength(40);
    expect(esm.counters().shardsFinished).toBe(1);
  });

  it('re-acquires an expired iterator AFTER_SEQUENCE_NUMBER the last record read (no loss, no duplicates)', async () => {
    const name = await createStream(kinesis, 'esm-expired');
    // kinesis-mock expires iterators only after 5 minutes: a fault layer around the real client throws
    // ExpiredIteratorException on every third GetRecords instead, and logs the GetShardIterator positions.
    let getRecordsCalls = 0;
    const positions: string[] = [];
    const faulty = {
      send: async (command: any) => {
        const kind = command.constructor.name;
        if (kind === 'GetShardIteratorCommand') positions.push(command.input.ShardIteratorType);
        if (kind === 'GetRecordsCommand' && ++getRecordsCalls % 3 === 0) {
          throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
        }
        return kinesis.send(command);
      },
    };
    const rec = recordingHandler();
    const esm = new EventSourceMapping({
      client: faulty,
      streamName: name,
      handler: rec.handler,
      startingPosition: 'TRIM_HORIZON',
      batchSize: 5,
      pollIntervalMs: 20,
      shardDiscoveryIntervalMs: 50,
    });
    running.push(esm);
    await esm.start();
    for (let round = 0; round < 3; round++) {
      await putRecords(
        kinesis,
        name,
        records(10).map((r, i) => ({ ...r, data: `r${round * 10 + i}` })),
      );
      await esm.drain();
    }
    expect(rec.allData()).toEqual(range(0, 30));
    expect(esm.counters().iteratorsRenewed).toBeGreaterThan(0);
    expect(positions[0]).toBe('TRIM_HORIZON');
    expect(positions.slice(1)).toContain('AFTER_SEQUENCE_NUMBER');
  });

  it('stop() is graceful: the batch in flight finishes and no new batch starts', async () => {
    const name = await createStream(kinesis, 'esm-stop');
    await putRecords(kinesis, name, records(6));
    let finished = 0;
    const rec = recordingHandler(
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 200));
        finished++;
      },
      { delayMs: 0 },
    );
    const esm = await startEsm({ streamName: name, handler: rec.handler, batchSize: 2 });
    while (rec.calls.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await esm.stop();
    expect(finished).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rec.calls).toHaveLength(1);
  });

  it('rejects settings outside the ranges Lambda accepts', () => {
    const base = { client: kinesis, streamName: 's', handler: () => undefined, startingPosition: 'LATEST' as const };
    expect(() => new EventSourceMapping({ ...base, batchSize: 10_001 })).toThrow(SettingError);
    expect(() => new EventSourceMapping({ ...base, parallelizationFactor: 11 })).toThrow(
      /parallelizationFactor: expected an integer from 1 to 10, got 11/,
    );
    expect(() => new EventSourceMapping({ ...base, maximumRetryAttempts: -2 })).toThrow(SettingError);
    expect(() => new EventSourceMapping({ ...base, maximumRecordAgeInSeconds: 59 })).toThrow(/60 to 604,800/);
    expect(() => new EventSourceMapping({ ...base, startingPosition: 'AT_TIMESTAMP' })).toThrow(SettingError);
    expect(new EventSourceMapping(base).config).toMatchObject({
      batchSize: 100,
      maximumBatchingWindowMs: 0,
      parallelizationFactor: 1,
      maximumRetryAttempts: -1,
      maximumRecordAgeInSeconds: -1,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: false,
    });
  });
});
