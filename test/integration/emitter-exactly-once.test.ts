// The emitter on DynamoDB Local's stream of the state table: every alert and final result reaches each sink exactly
// once per window and key (and rule), under sink failures retried through partial batch responses and under
// redelivered stream records; a crash between a delivery and its marker resends the same message with the same id.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { replay } from '../../core';
import { createEmitterHandler, type EmitSummary, stateWriteOf } from '../../lambdas/emitter/index';
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

beforeAll(async () => {
  tables = await emissionTables(clients.dynamodb, 'emit');
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

/** Every message the stream carries (what each sink must get once). */
function carried(): Map<string, EmitMessage> {
  const out = new Map<string, EmitMessage>();
  for (const r of records) {
    const write = stateWriteOf(clickstream, r);
    for (const m of [...(write?.alerts ?? []), ...(write?.results ?? [])]) out.set(m.id, m);
  }
  return out;
}

const total = (summaries: EmitSummary[], field: 'skipped' | 'deliveryFailures' | 'markerFailures') =>
  summaries.reduce((n, s) => n + s[field], 0);

describe('emitter: exactly once per sink', () => {
  it('the stream carries replay()’s alerts, and final results equal to replay()’s', () => {
    const messages = [...carried().values()];
    const alerts = messages.filter((m) => m.kind === 'alert');
    expect(expected.alerts.length).toBeGreaterThan(0);
    expect(alerts.map((a) => a.id).sort()).toEqual(
      expected.alerts.map((a) => alertId('clickstream', a.alert, a.window, a.key, a.start)).sort(),
    );
    const byId = new Map(expected.results.map((r) => [resultId('clickstream', r.window, r.key, r.start), r]));
    const results = messages.filter((m) => m.kind === 'result');
    expect(results.length).toBeGreaterThan(20);
    for (const m of results) {
      const r = byId.get(m.id);
      expect(r, `${m.window} ${m.key} ${m.start}`).toBeDefined();
      expect({ window: m.window, key: m.key, start: m.start, end: m.end, values: m.values }).toEqual(r);
    }
  });

  it('delivers each message once under sink failures (partial batch responses) and redelivered records', async () => {
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

    const want = [...carried().keys()].sort();
    for (const sink of [steady, flaky]) {
      const counts = sink.counts();
      expect([...counts.keys()].sort()).toEqual(want);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    }
    expect(total(summaries, 'skipped')).toBeGreaterThanOrEqual(2 * want.length);
    expect(total(summaries, 'markerFailures')).toBe(0);
    const bot = steady.received.filter((m) => m.kind === 'alert');
    expect(bot.map((m) => m.key)).toEqual(expected.alerts.map((a) => a.key));
    expect(bot[0]).toMatchObject({
      alert: 'potential-bot',
      description: expect.any(String),
      firedBy: { source: 'shardId-000000000000' },
    });
  });

  it('a crash between delivery and marker resends the same message (same id, same body) once, then never', async () => {
    const sink = recordingSink('crashy');
    // Marker writes fail during the first pass (the emitter "died" after the sink accepted the messages).
    let crash = true;
    const faulty = faultyClient(clients.dynamodb, {
      before: (command, _n, input) =>
        crash && command === 'PutItemCommand' && String((input as any).Item?.pk?.S).startsWith('#emit#crashy#')
          ? Object.assign(new Error('injected crash'), { name: 'TimeoutError' })
          : undefined,
    });
    const { invoke, summaries } = emitter([sink.sink], faulty);
    await deliverStream(records, invoke);
    const firstPass = sink.received.length;
    expect(total(summaries, 'markerFailures')).toBe(firstPass);
    crash = false;
    await deliverStream(records, invoke);
    await deliverStream(records, invoke);
    const counts = sink.counts();
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
    expect(counts.size).toBe(carried().size);
    const byId = new Map<string, EmitMessage[]>();
    for (const m of sink.received) byId.set(m.id, [...(byId.get(m.id) ?? []), m]);
    for (const copies of byId.values()) expect(copies[1]).toEqual(copies[0]);
  });
});
