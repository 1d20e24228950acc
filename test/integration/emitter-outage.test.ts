// Sink outages lose nothing (issue 10, point 9). The real processor and emitter on DynamoDB Local (state stream, alert
// markers in the dedupe table), spilling to a real folder (the local runtime's SpillStore). SNS and Firehose go down
// for several minutes (a test clock): no engine can make a service fail every call for a while, so the SNS and
// Firehose clients ARE mocked (aws-sdk-client-mock), and only they. While a sink is down the emitter spills what it
// refuses and reports no failed record (the stream moves on); the closer's re-delivery keeps the objects while the
// sink still refuses them, and delivers them once it is back: every alert exactly once, every result at least once
// with the same row (exactly once by id).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PublishBatchCommand, SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createEmitterHandler,
  DeliveryMarkers,
  type EmitSummary,
  loadIdKey,
  MeteredSpillStore,
  redeliverSpilled,
  stateWriteOf,
  UNDELIVERED_PREFIX,
} from '../../lambdas/emitter/index';
import { type EmitMessage, FirehoseSink, SnsSink } from '../../lambdas/sinks/index';
import { makeClients } from '../../local/aws-clients';
import { FolderSpillStore } from '../../local/runtime/index';
import { clickstream } from '../../pipelines/clickstream';
import { deliverStream, emissionTables, processLines, streamReader } from './emitter-helpers';
import { clickLines, lambdaContext, silentLogger } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const snsMock = mockClient(SNSClient);
const firehoseMock = mockClient(FirehoseClient);
const dir = mkdtempSync(join(tmpdir(), 'streamfold-outage-'));
const fast = { baseDelayMs: 1, maxDelayMs: 3 };
const T0 = Date.parse('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
/** The test clock: the outages are defined on it. */
let clock = T0;
const snsDownUntil = T0 + 5 * MINUTE;
const firehoseDownUntil = T0 + 7 * MINUTE;

/** What reached the services once they were back: SNS message ids, Firehose rows. */
const published: EmitMessage[] = [];
const rows: string[] = [];
let snsCalls = 0;
let firehoseCalls = 0;

let tables: { stateTable: string; dedupeTable: string };
let records: DynamoDBRecord[] = [];
let carried: Map<string, EmitMessage>;
const spill = new MeteredSpillStore(new FolderSpillStore(dir));
const summaries: EmitSummary[] = [];

const unavailable = (service: string) =>
  Object.assign(new Error(`${service} is unavailable (injected outage)`), {
    name: 'ServiceUnavailableException',
    $fault: 'server',
  });

function sinks() {
  return [
    new SnsSink({
      client: new SNSClient({ region: 'us-east-1' }),
      topicArn: 'arn:aws:sns:us-east-1:000000000000:alerts',
      backoff: fast,
    }),
    new FirehoseSink({
      client: new FirehoseClient({ region: 'us-east-1' }),
      deliveryStreamName: 'results',
      backoff: fast,
    }),
  ];
}
const markers = () =>
  new DeliveryMarkers({ client: clients.dynamodb, tableName: tables.dedupeTable, now: () => clock });
const redeliver = () => redeliverSpilled({ sinks: sinks(), spill, markers: markers(), now: () => clock });

beforeAll(async () => {
  snsMock.on(PublishBatchCommand).callsFake((input) => {
    snsCalls++;
    if (clock < snsDownUntil) throw unavailable('SNS');
    const entries = input.PublishBatchRequestEntries as { Id: string; Message: string }[];
    published.push(...entries.map((e) => JSON.parse(e.Message) as EmitMessage));
    return { Successful: entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] };
  });
  firehoseMock.on(PutRecordBatchCommand).callsFake((input) => {
    firehoseCalls++;
    if (clock < firehoseDownUntil) throw unavailable('Firehose');
    const lines = (input.Records as { Data: Uint8Array }[]).map((r) => Buffer.from(r.Data).toString('utf8'));
    rows.push(...lines);
    return { FailedPutCount: 0, Encrypted: false, RequestResponses: lines.map((_, i) => ({ RecordId: `r${i}` })) };
  });
  tables = await emissionTables(clients.dynamodb, 'outage');
  await processLines(
    clickstream,
    clients.dynamodb,
    tables,
    clickLines({ events: 260, users: 8, seed: 11, botEvents: 105 }),
  );
  records = await (await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable)).next();
  const idKey = await loadIdKey({ client: clients.dynamodb, tableName: tables.stateTable });
  carried = new Map();
  for (const r of records) {
    const write = stateWriteOf(clickstream, idKey, r);
    for (const m of [...(write?.alerts ?? []), ...(write?.results ?? [])]) carried.set(m.id, m);
  }
});
afterAll(() => {
  snsMock.restore();
  firehoseMock.restore();
  clients.destroy();
  rmSync(dir, { recursive: true, force: true });
});

function emitter() {
  const handler = createEmitterHandler(clickstream, {
    dynamodb: clients.dynamodb,
    ...tables,
    sinks: sinks(),
    spill: new FolderSpillStore(dir),
    now: () => clock,
    logger: silentLogger(),
    backoff: fast,
    onInvocation: (s) => summaries.push(s),
  });
  return async (batch: DynamoDBRecord[]) =>
    (await handler({ Records: batch }, lambdaContext())) as { batchItemFailures: { itemIdentifier: string }[] };
}

const alertIds = () =>
  [...carried.values()]
    .filter((m) => m.kind === 'alert')
    .map((m) => m.id)
    .sort();
const resultIds = () =>
  [...carried.values()]
    .filter((m) => m.kind === 'result')
    .map((m) => m.id)
    .sort();

describe('sink outages of several minutes', () => {
  it('while SNS and Firehose are down, the emitter spills what they refuse and fails no stream record', async () => {
    expect(alertIds().length).toBeGreaterThan(0);
    expect(resultIds().length).toBeGreaterThan(20);
    clock = T0 + MINUTE;
    const run = await deliverStream(records, emitter(), { size: 40, maxAttempts: 1 });
    expect(run.retried).toBe(0);
    expect(snsCalls).toBeGreaterThan(0);
    expect(firehoseCalls).toBeGreaterThan(0);
    expect(published).toEqual([]);
    expect(rows).toEqual([]);
    const spilled = summaries.reduce((n, s) => n + (s.spilled.sns ?? 0) + (s.spilled.firehose ?? 0), 0);
    expect(spilled).toBe(carried.size);
    expect(summaries.reduce((n, s) => n + s.spillFailures, 0)).toBe(0);
    const keys = await spill.list(UNDELIVERED_PREFIX);
    expect(keys.some((k) => k.startsWith('undelivered/sns/2026-06-01/'))).toBe(true);
    expect(keys.some((k) => k.startsWith('undelivered/firehose/2026-06-01/'))).toBe(true);
    // Every invocation's usage names its S3 (spill) requests: one object per invocation and refusing sink.
    expect(summaries.reduce((n, s) => n + s.usage.spill.put, 0)).toBe(keys.length);
  });

  it('a re-delivery while the sinks are still down keeps every spill object', async () => {
    clock = T0 + 3 * MINUTE;
    const before = await spill.list(UNDELIVERED_PREFIX);
    const run = await redeliver();
    expect(run).toMatchObject({ objects: before.length, completed: 0, remaining: before.length });
    expect(await spill.list(UNDELIVERED_PREFIX)).toEqual(before);
    expect(published).toEqual([]);
  });

  it('SNS back, Firehose still down: the alerts are delivered once, the results stay spilled', async () => {
    clock = T0 + 6 * MINUTE;
    const run = await redeliver();
    expect(run.delivered.sns).toBe(alertIds().length);
    expect(published.map((m) => m.id).sort()).toEqual(alertIds());
    const left = await spill.list(UNDELIVERED_PREFIX);
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((k) => k.startsWith('undelivered/firehose/'))).toBe(true);
    expect(rows).toEqual([]);
  });

  it('Firehose back: every result lands, the spill is empty, and nothing more is ever sent twice for alerts', async () => {
    clock = T0 + 8 * MINUTE;
    const run = await redeliver();
    expect(run.remaining).toBe(0);
    expect(await spill.list(UNDELIVERED_PREFIX)).toEqual([]);
    const landed = rows.map((line) => JSON.parse(line) as { id: string });
    expect([...new Set(landed.map((r) => r.id))].sort()).toEqual(resultIds());
    expect(landed.length).toBe(resultIds().length);
    // A late redelivery of the whole stream (e.g. records retried by Lambda): alerts are found marked, results are
    // sent again with the same id and the same row; a re-delivery run finds nothing.
    summaries.length = 0;
    await deliverStream(records, emitter(), { size: 40, maxAttempts: 1 });
    expect(published.map((m) => m.id).sort()).toEqual(alertIds());
    expect(summaries.reduce((n, s) => n + s.skipped, 0)).toBe(alertIds().length);
    const byId = new Map<string, Set<string>>();
    for (const line of rows) {
      const id = (JSON.parse(line) as { id: string }).id;
      byId.set(id, (byId.get(id) ?? new Set()).add(line));
    }
    expect([...byId.keys()].sort()).toEqual(resultIds());
    expect([...byId.values()].every((lines) => lines.size === 1)).toBe(true);
    expect((await redeliver()).objects).toBe(0);
    for (const m of published) expect(m).toEqual(carried.get(m.id));
  });
});
