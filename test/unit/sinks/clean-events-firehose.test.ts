// The clean-events Firehose sink: PutRecordBatch of at most 500 records and 4 MiB, records failed in
// RequestResponses and failed calls retried, every delivery stream written, a row over Firehose's record limit sent
// with its metadata only. Partial PutRecordBatch failures and throttles are responses no embedded engine produces, so
// the Firehose client here is a hand-written fake that records the calls and fails what each test says.
import type { PutRecordBatchCommand, PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { describe, expect, it } from 'vitest';
import { type CleanEventRow, cleanEventRow, cleanPartitioningOf } from '../../../core';
import {
  type CleanEventRecord,
  FIREHOSE_MAX_BATCH_BYTES,
  FIREHOSE_MAX_RECORD_BYTES,
  FIREHOSE_MAX_RECORDS,
  FirehoseCleanEventsSink,
} from '../../../lambdas/sinks/clean-events';
import { ClickEvent } from '../../../pipelines/clickstream';

const partitioning = cleanPartitioningOf(ClickEvent, 'type');
const T = Date.UTC(2026, 0, 2, 13, 0, 0);

function record(i: number, pad = 0): CleanEventRecord {
  const row: CleanEventRow = cleanEventRow(
    {
      identity: 's/shardId-000000000000',
      epoch: 0,
      source: 'shardId-000000000000',
      event: {
        eventId: `e${i}`,
        userId: `u${i % 7}`,
        type: 'view',
        ts: new Date(T + i).toISOString(),
        pad: 'x'.repeat(pad),
      },
      key: `u${i % 7}`,
      id: `e${i}`,
      time: T + i,
      sequence: String(1000 + i),
      arrivalMs: T + i,
    },
    partitioning,
  );
  return { id: `shardId-000000000000:${1000 + i}`, row };
}

/** A fake Firehose client: records each call; `fail` decides per (stream, line, call number) whether an entry fails. */
function fakeFirehose(options: { fail?: (stream: string, line: string, call: number) => boolean; throwOn?: number[] }) {
  const calls: { stream: string; lines: string[]; bytes: number }[] = [];
  const landed = new Map<string, string[]>();
  const client = {
    send: async (command: PutRecordBatchCommand): Promise<PutRecordBatchCommandOutput> => {
      const stream = command.input.DeliveryStreamName!;
      const lines = (command.input.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8'));
      const bytes = (command.input.Records ?? []).reduce((n, r) => n + r.Data!.length, 0);
      calls.push({ stream, lines, bytes });
      if (options.throwOn?.includes(calls.length)) {
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      const failed = lines.map((line) => options.fail?.(stream, line, calls.length) ?? false);
      lines.forEach((line, i) => {
        if (!failed[i]) landed.set(stream, [...(landed.get(stream) ?? []), line]);
      });
      return {
        FailedPutCount: failed.filter(Boolean).length,
        Encrypted: true,
        RequestResponses: failed.map((f, i) =>
          f ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : { RecordId: `r${i}` },
        ),
        $metadata: {},
      };
    },
  };
  return { client, calls, landed };
}

const fast = { baseDelayMs: 1, maxDelayMs: 2 };
const idOf = (line: string) => JSON.parse(line).eventId as string;

describe('FirehoseCleanEventsSink', () => {
  it('sends one JSON line per record, in calls of at most 500 records', async () => {
    const fake = fakeFirehose({});
    const sink = new FirehoseCleanEventsSink({ client: fake.client, deliveryStreamNames: ['lake'], backoff: fast });
    const records = Array.from({ length: 1_201 }, (_, i) => record(i));
    expect(await sink.send(records)).toEqual({ failedIds: [], retries: 0, errors: [] });
    expect(fake.calls.map((c) => c.lines.length)).toEqual([FIREHOSE_MAX_RECORDS, FIREHOSE_MAX_RECORDS, 201]);
    const lines = fake.landed.get('lake')!;
    expect(lines.every((l) => l.endsWith('\n') && !l.slice(0, -1).includes('\n'))).toBe(true);
    expect(lines.map(idOf)).toEqual(records.map((r) => r.row.eventId));
    expect(JSON.parse(lines[0]!)).toMatchObject({ sf_uid: records[0]!.row.sf_uid, sf_dt: '2026-01-02', sf_hour: '13' });
  });

  it('keeps every call under 4 MiB', async () => {
    const fake = fakeFirehose({});
    const sink = new FirehoseCleanEventsSink({ client: fake.client, deliveryStreamNames: ['lake'], backoff: fast });
    await sink.send(Array.from({ length: 60 }, (_, i) => record(i, 200_000)));
    expect(fake.calls.length).toBeGreaterThan(2);
    expect(fake.calls.every((c) => c.bytes <= FIREHOSE_MAX_BATCH_BYTES)).toBe(true);
    expect(fake.calls.reduce((n, c) => n + c.lines.length, 0)).toBe(60);
  });

  it('retries the records failed in RequestResponses until they land, each once', async () => {
    const fake = fakeFirehose({ fail: (_s, line, call) => call <= 2 && Number(idOf(line).slice(1)) % 3 === 0 });
    const sink = new FirehoseCleanEventsSink({ client: fake.client, deliveryStreamNames: ['lake'], backoff: fast });
    const out = await sink.send(Array.from({ length: 30 }, (_, i) => record(i)));
    expect(out.failedIds).toEqual([]);
    expect(out.retries).toBe(20); // 10 failed records, retried twice
    const landed = fake.landed.get('lake')!.map(idOf);
    expect(landed.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `e${i}`).sort());
  });

  it('fails the records of a call that throws at once (the SDK already retried it)', async () => {
    const fake = fakeFirehose({ throwOn: [1] });
    const sink = new FirehoseCleanEventsSink({ client: fake.client, deliveryStreamNames: ['lake'], backoff: fast });
    const out = await sink.send([record(1), record(2)]);
    expect(out.failedIds).toHaveLength(2);
    expect(fake.calls).toHaveLength(1);
  });

  it('reports the records still failing after the bounded attempts, with the error', async () => {
    const fake = fakeFirehose({ fail: (_s, line) => idOf(line) === 'e4' });
    const sink = new FirehoseCleanEventsSink({
      client: fake.client,
      deliveryStreamNames: ['lake'],
      maxAttempts: 3,
      backoff: fast,
    });
    const out = await sink.send(Array.from({ length: 6 }, (_, i) => record(i)));
    expect(out.failedIds).toEqual(['shardId-000000000000:1004']);
    expect(out.errors[0]!.message).toMatch(/ServiceUnavailableException/);
    expect(fake.calls).toHaveLength(3);
  });

  it('writes every delivery stream; a record fails when any stream did not take it', async () => {
    const fake = fakeFirehose({ fail: (stream, line) => stream === 'warehouse' && idOf(line) === 'e1' });
    const sink = new FirehoseCleanEventsSink({
      client: fake.client,
      deliveryStreamNames: ['lake', 'warehouse'],
      maxAttempts: 2,
      backoff: fast,
    });
    const out = await sink.send([record(0), record(1), record(2)]);
    expect(out.failedIds).toEqual(['shardId-000000000000:1001']);
    expect(fake.landed.get('lake')!.map(idOf)).toEqual(['e0', 'e1', 'e2']);
    expect(fake.landed.get('warehouse')!.map(idOf)).toEqual(['e0', 'e2']);
  });

  it('sends a row over the 1,000 KiB record limit with its metadata only (flagged), so it never blocks its shard', async () => {
    const fake = fakeFirehose({});
    const sink = new FirehoseCleanEventsSink({ client: fake.client, deliveryStreamNames: ['lake'], backoff: fast });
    const big = record(7, FIREHOSE_MAX_RECORD_BYTES);
    expect((await sink.send([big, record(8)])).failedIds).toEqual([]);
    const [cut, small] = fake.landed.get('lake')!.map((l) => JSON.parse(l));
    expect(cut).toMatchObject({ sf_uid: big.row.sf_uid, sf_truncated: true, sf_dt: '2026-01-02' });
    expect(cut.pad).toBeUndefined();
    expect(small.eventId).toBe('e8');
  });
});
