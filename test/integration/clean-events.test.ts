// The clean events (issue 14) end to end on kinesis-mock + DynamoDB Local: the real Kinesis handler sends every valid
// record to its clean-events output (the local warehouse's sink, the same rows and layout as the Firehose delivery),
// and the warehouse's `events` view shows each valid event once, whatever the transport did: producer duplicates,
// malformed records, a crashed batch retried and bisected, the same batch delivered again to a cold container, a clean
// send that fails. Window state stays exactly replay()'s meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KinesisStreamBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { cleanPartitioningOf, definePipeline, type Pipeline, replay, tumbling } from '../../core';
import { count } from '../../core/aggregates';
import { createKinesisHandler, type InvocationSummary, type ProcessorDeps } from '../../lambdas/processor/index';
import type { CleanEventRecord, CleanEventsSink, CleanSendOutcome } from '../../lambdas/sinks/clean-events';
import { makeClients } from '../../local/aws-clients';
import { LocalCleanEventsSink, queryWarehouse } from '../../local/warehouse/index';
import { clickstream } from '../../pipelines/clickstream';
import { createStream, putRecords } from './esm-helpers';
import {
  batches,
  clickLines,
  dynamoWrapper,
  freshTables,
  kinesisEvent,
  lambdaContext,
  MemorySqs,
  readBack,
  type ShardRecord,
  silentLogger,
  tableResults,
  type WrapperControls,
} from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
const root = mkdtempSync(join(tmpdir(), 'streamfold-clean-'));
const REJECTED = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-rejected';
const LATE = 'https://sqs.us-east-1.amazonaws.com/000000000000/clickstream-late';

const lines = clickLines({ events: 300, users: 8, seed: 23, malformed: 3 });
let records: ShardRecord[] = [];
let want: ReturnType<typeof replay>;
/** Positions (0-based) of the lines replay() rejects. */
let rejectedLines: Set<number>;
/** The valid lines' event ids, and how many distinct ones. */
let validIds: string[];

beforeAll(async () => {
  const stream = await createStream(clients.kinesis, 'clean', 1);
  const keyOf = (line: string) => {
    try {
      return String(JSON.parse(line).userId ?? 'malformed');
    } catch {
      return 'malformed';
    }
  };
  const put = await putRecords(
    clients.kinesis,
    stream,
    lines.map((line) => ({ key: keyOf(line), data: line })),
  );
  const lineOf = new Map(put.map((p, i) => [p.sequenceNumber, i]));
  records = [...(await readBack(clients.kinesis, stream, lines.length, lineOf)).values()][0]!;
  want = replay(clickstream, lines, { shards: 1 });
  rejectedLines = new Set(want.rejected.map((r) => r.line - 1));
  validIds = lines.filter((_, i) => !rejectedLines.has(i)).map((l) => JSON.parse(l).eventId as string);
});
afterAll(() => {
  clients.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** One scenario: fresh tables, a fault-injecting DynamoDB wrapper, in-memory SQS, a local warehouse folder. */
async function harness(label: string, pipeline: Pipeline = clickstream, controls: WrapperControls = {}) {
  const tables = await freshTables(clients.dynamodb, label);
  const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable, controls);
  const sqs = new MemorySqs();
  const dir = join(root, label);
  const sink = new LocalCleanEventsSink({ dir, deliveryStreamName: `${pipeline.name}-clean-events` });
  const summaries: InvocationSummary[] = [];
  let clean: CleanEventsSink = sink;
  const handler = (deps: Partial<ProcessorDeps> = {}) =>
    createKinesisHandler(pipeline, {
      dynamodb: wrapper.client,
      sqs: sqs.client,
      ...tables,
      rejectedQueueUrl: REJECTED,
      lateQueueUrl: LATE,
      clean: { name: 'test', send: (rows) => clean.send(rows) },
      storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
      logger: silentLogger(),
      onInvocation: (summary) => summaries.push(summary),
      ...deps,
    });
  let current = handler();
  return {
    tables,
    wrapper,
    sink,
    summaries,
    /** Put a sink in front of the warehouse's (failures no engine produces). */
    wrapSink(wrap: (inner: CleanEventsSink) => CleanEventsSink) {
      clean = wrap(sink);
    },
    coldStart() {
      current = handler();
    },
    async invoke(batch: readonly ShardRecord[]): Promise<KinesisStreamBatchResponse | Error> {
      try {
        return (await current(kinesisEvent(batch), lambdaContext())) as KinesisStreamBatchResponse;
      } catch (error) {
        return error as Error;
      }
    },
    /** Deliver batches in order, each until done (as Lambda does with ReportBatchItemFailures). */
    async deliverAll(list: readonly ShardRecord[][]): Promise<number> {
      let attempts = 0;
      for (const batch of list) {
        let pending = batch;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt > 6) throw new Error('batch did not complete in 7 attempts');
          attempts++;
          const response = await this.invoke(pending);
          if (response instanceof Error) continue;
          const failed = response.batchItemFailures[0]?.itemIdentifier;
          pending = failed === undefined ? [] : pending.slice(pending.findIndex((r) => r.sequence === failed));
        }
      }
      return attempts;
    },
    /** Write what the sink buffered, then query the warehouse. */
    async query(sql: string): Promise<Record<string, unknown>[]> {
      await sink.flush();
      return (await queryWarehouse(dir, sql)).rows;
    },
  };
}
type Harness = Awaited<ReturnType<typeof harness>>;

const COUNTS =
  'SELECT (SELECT count(*)::INTEGER FROM events) AS events, (SELECT count(DISTINCT eventId)::INTEGER FROM events) AS ids, ' +
  '(SELECT count(*)::INTEGER FROM events_log) AS log';

/** The view shows each valid event once: one row per distinct valid event id, and no invalid one. */
async function expectEachValidEventOnce(h: Harness): Promise<{ log: number }> {
  const [counts] = await h.query(COUNTS);
  const distinct = new Set(validIds).size;
  expect(counts).toMatchObject({ events: distinct, ids: distinct });
  const shown = (await h.query('SELECT eventId FROM events')).map((r) => r.eventId as string).sort();
  expect(shown).toEqual([...new Set(validIds)].sort());
  // Window state is untouched by the clean-events output: exactly replay()'s.
  const results = await tableResults(clients.dynamodb, h.tables.stateTable, clickstream, h.wrapper.recorded.results);
  expect(results).toEqual(want.results);
  return { log: Number(counts!.log) };
}

describe('clean events from the processor (kinesis-mock + DynamoDB Local)', () => {
  it('the test data has producer duplicates, malformed records and late events', () => {
    expect(want.summary.duplicates).toBeGreaterThan(5);
    expect(want.summary.rejected).toBe(3);
    expect(want.late.length).toBeGreaterThan(0);
    expect(validIds.length).toBe(lines.length - 3);
    expect(new Set(validIds).size).toBe(validIds.length - want.summary.duplicates);
  });

  it('a clean run: every valid record delivered once (duplicates too), the view shows each event once', async () => {
    const h = await harness('plain');
    await h.deliverAll(batches(records, 100));
    const { log } = await expectEachValidEventOnce(h);
    expect(log).toBe(validIds.length);
    // Partitioned by the validated event type and the event time (date and hour), never by anything else.
    const partitions = await h.query(
      "SELECT DISTINCT event_type, strftime(dt, '%Y-%m-%d') AS dt, hour, " +
        "strftime(make_timestamp(sf_event_time * 1000), '%Y-%m-%d') AS event_day, " +
        'hour(make_timestamp(sf_event_time * 1000)) AS event_hour FROM events_log',
    );
    expect(partitions.length).toBeGreaterThan(1);
    for (const p of partitions) {
      expect(['click', 'view', 'search', 'add_to_cart', 'purchase', 'login']).toContain(p.event_type);
      expect([p.dt, Number(p.hour)]).toEqual([p.event_day, Number(p.event_hour)]);
    }
    // Late events are valid events: in the table (in their event hour) though no window counted them.
    const shown = new Set((await h.query('SELECT eventId FROM events')).map((r) => r.eventId));
    const late = want.late.map((l) => JSON.parse(lines[l.line - 1]!).eventId as string);
    expect(late.length).toBeGreaterThan(0);
    expect(late.filter((id) => !shown.has(id))).toEqual([]);
  });

  it('a crash, a bisected retry and the same batches again in a cold container: redeliveries collapse in the view', async () => {
    const h = await harness('redelivered', clickstream, { dieAfterStatePuts: 4 });
    const [first, ...rest] = batches(records, 120) as [ShardRecord[], ...ShardRecord[][]];
    const crashed = await h.invoke(first);
    expect(crashed instanceof Error || crashed.batchItemFailures.length > 0).toBe(true);
    h.wrapper.revive();
    h.wrapper.controls.dieAfterStatePuts = undefined;
    h.coldStart();
    const half = Math.floor(first.length / 2);
    await h.deliverAll([first.slice(0, half), first.slice(0, half), first.slice(half), rest[0]!]);
    // A crash after the state writes, before the checkpoint: the whole batch comes again, to a new container.
    h.wrapper.controls.dieOnCheckpoint = true;
    expect(await h.invoke(rest[1]!)).toEqual({ batchItemFailures: [{ itemIdentifier: rest[1]![0]!.sequence }] });
    h.wrapper.revive();
    h.wrapper.controls.dieOnCheckpoint = false;
    h.coldStart();
    await h.deliverAll(rest.slice(1));
    const { log } = await expectEachValidEventOnce(h);
    expect(log).toBeGreaterThan(validIds.length);
  });

  it('a clean row that cannot be delivered fails its record from there; the retry delivers it, nothing is lost', async () => {
    // Firehose partial failures are responses no embedded engine produces: this wrapper stands in for them.
    const h = await harness('failing');
    const attempts = new Map<string, number>();
    const victim = records.find((r, i) => i > 150 && i < 200 && !rejectedLines.has(r.line))!;
    const victimId = `${victim.shardId}:${victim.sequence}`;
    h.wrapSink((inner) => ({
      name: 'flaky',
      async send(rows: readonly CleanEventRecord[]): Promise<CleanSendOutcome> {
        const failing = rows.filter((r) => r.id === victimId && (attempts.get(r.id) ?? 0) < 2);
        for (const r of failing) attempts.set(r.id, (attempts.get(r.id) ?? 0) + 1);
        await inner.send(rows.filter((r) => !failing.includes(r)));
        return { failedIds: failing.map((r) => r.id), retries: 0, errors: failing.map(() => new Error('injected')) };
      },
    }));
    await h.deliverAll([records.slice(0, 100)]);
    const batch = records.slice(100, 200);
    const response = await h.invoke(batch);
    expect(response).not.toBeInstanceOf(Error);
    expect((response as KinesisStreamBatchResponse).batchItemFailures).toEqual([{ itemIdentifier: victim.sequence }]);
    await h.deliverAll([batch, records.slice(200)]);
    expect(attempts.get(victimId)).toBe(2);
    const victimEvent = JSON.parse(lines[victim.line]!).eventId as string;
    const [row] = await h.query(`SELECT count(*)::INTEGER AS n FROM events WHERE eventId = '${victimEvent}'`);
    expect(Number(row!.n)).toBe(1);
    await expectEachValidEventOnce(h);
  });

  it('without a dedupe id each record is its own event: producer resends stay (counted twice), redeliveries collapse', async () => {
    const noId = definePipeline({
      name: 'no-id',
      schema: z.object({ eventId: z.string(), userId: z.string(), type: z.string(), ts: z.iso.datetime() }),
      key: 'userId',
      time: 'ts',
      windows: { perMinute: tumbling('1m', { grace: '5m' }) },
      aggregates: { events: count() },
    });
    expect(cleanPartitioningOf(noId.schema, undefined)).toEqual({ field: false, values: [] });
    const h = await harness('no-id', noId, { dieOnCheckpoint: true });
    const list = batches(records, 100);
    // State written, checkpoint not: the whole batch is retried (and its clean rows sent again).
    expect(await h.invoke(list[0]!)).toEqual({ batchItemFailures: [{ itemIdentifier: list[0]![0]!.sequence }] });
    h.wrapper.revive();
    h.wrapper.controls.dieOnCheckpoint = false;
    h.coldStart();
    await h.deliverAll(list);
    const valid = lines.filter((_, i) => !rejectedLines.has(i)).length;
    const [counts] = await h.query(COUNTS);
    expect(Number(counts!.log)).toBeGreaterThan(valid);
    expect(Number(counts!.events)).toBe(valid);
    expect(Number(counts!.ids)).toBe(new Set(validIds).size);
    const [records_] = await h.query(
      "SELECT count(DISTINCT sf_source || ':' || sf_sequence)::INTEGER AS n FROM events",
    );
    expect(Number(records_!.n)).toBe(valid);
    const [row] = await h.query('SELECT * FROM events LIMIT 1');
    expect(Object.keys(row!)).not.toContain('sf_id');
    expect(Object.keys(row!)).not.toContain('event_type');
  });
});
