// The emitter on DynamoDB Local's stream of the state table: every alert reaches each sink exactly once per window,
// key and rule, and every final result at least once with the same id and body (results have no markers: their sinks
// are idempotent by id), under sink failures retried through partial batch responses (no spill store here: the
// records fail) and under redelivered stream records; a crash between a delivery and its marker resends the same
// alert with the same id.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay } from '../../core';
import { createEmitterHandler, type EmitSummary, loadIdKey, stateWriteOf } from '../../lambdas/emitter/index';
import { alertId, type EmitMessage, resultId, type Sink } from '../../lambdas/sinks/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { deliverStream, emissionTables, flakySink, processLines, recordingSink, streamReader } from './emitter-helpers';
import { clickLines, lambdaContext, silentLogger } from './processor-helpers';
import { faultyClient } from './setup/faults';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const lines = clickLines({ events: 260, users: 8, seed: 11, botEvents: 105 });
const expected = replay(clickstream, lines, { shards: 1 });
let tables: { stateTable: string; dedupeTable: string };
let records: DynamoDBRecord[] = [];
let idKey: Uint8Array;

beforeAll(async () => {
  tables = await emissionTables(clients.dynamodb, 'emit');
  idKey = await loadIdKey({ client: clients.dynamodb, tableName: tables.stateTable });
  await processLines(clickstream, clients.dynamodb, tables, lines, { batchSize: 40 });
  records = await (await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable)).next();
});
afterAll(() => clients.destroy());

function emitter(sinks: readonly Sink[], dynamodb: Pick<DynamoDBClient, 'send'> = clients.dynamodb) {
  const summaries: EmitSummary[] = [];
  const handler = createEmitterHandler(clickstream, {
    dynamodb,
    ...tables,
    sinks,
    logger: silentLogger(),
    backoff: { baseDelayMs: 1, maxDelayMs: 5 },
    onInvocation: (s) => summaries.push(s),
  });
  const invoke = async (batch: DynamoDBRecord[]) =>
    (await handler({ Records: batch }, lambdaContext())) as { batchItemFailures: { itemIdentifier: string }[] };
  return { invoke, summaries };
}

/** Every message the stream carries (what each sink must get: alerts once, results at least once). */
function carried(): Map<string, EmitMessage> {
  const out = new Map<string, EmitMessage>();
  for (const r of records) {
    const write = stateWriteOf(clickstream, idKey, r);
    for (const m of [...(write?.alerts ?? []), ...(write?.results ?? [])]) out.set(m.id, m);
  }
  return out;
}

const total = (summaries: EmitSummary[], field: 'skipped' | 'deliveryFailures' | 'markerFailures') =>
  summaries.reduce((n, s) => n + s[field], 0);

it('the stream carries replay()’s alerts, and final results equal to replay()’s', () => {
  const messages = [...carried().values()];
  const alerts = messages.filter((m) => m.kind === 'alert');
  expect(expected.alerts.length).toBeGreaterThan(0);
  expect(alerts.map((a) => a.id).sort()).toEqual(
    expected.alerts.map((a) => alertId(idKey, 'clickstream', a.alert, a.window, a.key, a.start)).sort(),
  );
  const byId = new Map(expected.results.map((r) => [resultId(idKey, 'clickstream', r.window, r.key, r.start), r]));
  const results = messages.filter((m) => m.kind === 'result');
  expect(results.length).toBeGreaterThan(20);
  for (const m of results) {
    const r = byId.get(m.id);
    expect(r, `${m.window} ${m.key} ${m.start}`).toBeDefined();
    expect({ window: m.window, key: m.key, start: m.start, end: m.end, values: m.values }).toEqual(r);
  }
});

/** Each id received: every alert exactly once; every result at least once, each copy identical to the first. */
function expectDelivered(sink: Pick<ReturnType<typeof recordingSink>, 'counts' | 'received'>) {
  const want = carried();
  const counts = sink.counts();
  expect([...counts.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [id, n] of counts) {
    if (want.get(id)!.kind === 'alert') expect(n, `alert ${id}`).toBe(1);
    else expect(n, `result ${id}`).toBeGreaterThanOrEqual(1);
  }
  for (const m of sink.received) expect(m).toEqual(want.get(m.id));
}

describe('emitter: alerts exactly once per sink, results at least once with the same id', () => {
  it('delivers each alert once and each result at least once under sink failures and redelivered records', async () => {
    const steady = recordingSink('steady');
    // Fails a third of the results twice and every alert once: their records are retried from the lowest failure.
    const flaky = flakySink('flaky', (m, attempt) =>
      m.kind === 'alert' ? attempt === 1 : m.start % 180_000 === 0 && attempt <= 2,
    );
    const { invoke, summaries } = emitter([steady.sink, flaky.sink]);
    const first = await deliverStream(records, invoke, { size: 40 });
    expect(first.retried).toBeGreaterThan(0);
    expect(total(summaries, 'deliveryFailures')).toBeGreaterThan(0);
    // The whole stream again (e.g. a re-created event source mapping from TRIM_HORIZON), in other batch sizes.
    await deliverStream(records, invoke, { size: 17 });
    await deliverStream(records.slice(10, 90), invoke, { size: 80 });

    for (const sink of [steady, flaky]) expectDelivered(sink);
    // Results were resent (the records redelivered carry them again), alerts never: their markers were found.
    expect(steady.received.length).toBeGreaterThan(carried().size);
    const alerts = [...carried().values()].filter((m) => m.kind === 'alert').length;
    expect(alerts).toBeGreaterThan(0);
    expect(total(summaries, 'skipped')).toBeGreaterThanOrEqual(2 * alerts);
    expect(total(summaries, 'markerFailures')).toBe(0);
    const bot = steady.received.filter((m) => m.kind === 'alert');
    expect(bot.map((m) => m.key)).toEqual(expected.alerts.map((a) => a.key));
    expect(bot[0]).toMatchObject({
      alert: 'potential-bot',
      description: expect.any(String),
      firedBy: { source: 'shardId-000000000000' },
    });
  });

  it('a crash between delivery and marker resends the same alert (same id, same body) once, then never', async () => {
    const sink = recordingSink('crashy');
    // Marker writes fail during the first pass (the emitter "died" after the sink accepted the messages).
    let crash = true;
    const faulty = faultyClient(clients.dynamodb, {
      before: (command, _n, input) =>
        crash && command === 'PutItemCommand' && String((input as any).Item?.pk?.S).startsWith('#delivered#crashy#')
          ? Object.assign(new Error('injected crash'), { name: 'TimeoutError' })
          : undefined,
    });
    const { invoke, summaries } = emitter([sink.sink], faulty);
    await deliverStream(records, invoke);
    const firstPass = sink.received.filter((m) => m.kind === 'alert').length;
    expect(firstPass).toBeGreaterThan(0);
    expect(total(summaries, 'markerFailures')).toBe(firstPass);
    crash = false;
    await deliverStream(records, invoke);
    await deliverStream(records, invoke);
    const counts = sink.counts();
    const kinds = carried();
    // Alerts: the first pass, and once more by the pass that found no marker; results: every pass (no markers).
    for (const [id, n] of counts) expect(n, id).toBe(kinds.get(id)!.kind === 'alert' ? 2 : 3);
    expect(counts.size).toBe(carried().size);
    const byId = new Map<string, EmitMessage[]>();
    for (const m of sink.received) byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
    for (const copies of byId.values()) expect(copies[1]).toEqual(copies[0]);
  });
});
