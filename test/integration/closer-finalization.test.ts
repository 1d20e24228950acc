// The closer on DynamoDB Local: with no further traffic, an injected clock moves the pipeline watermark (sources go
// idle), the closer finalizes the remaining windows with one conditional write per key, the emitter emits them from
// the state table's stream, and the final results equal the offline replay(). State queries see open then final.
import type { DynamoDBRecord } from 'aws-lambda';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerState } from '../../bin/cli/commands/state';
import { compareResults, replay, type WindowResult } from '../../core';
import { runCloser } from '../../lambdas/closer/index';
import { createEmitterHandler } from '../../lambdas/emitter/index';
import { queryState } from '../../lambdas/query/index';
import { StateStore } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { deliverStream, emissionTables, processLines, recordingSink, streamReader } from './emitter-helpers';
import { clickLines, lambdaContext, silentLogger } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const lines = clickLines({ events: 200, users: 6, seed: 5 });
const expected = replay(clickstream, lines, { shards: 1 });
let tables: { stateTable: string; dedupeTable: string };
let reader: Awaited<ReturnType<typeof streamReader>>;
const sink = recordingSink('results', ['result']);
let store: StateStore;
let emit: (records: DynamoDBRecord[]) => Promise<unknown>;
let lastUpdate = 0;

beforeAll(async () => {
  tables = await emissionTables(clients.dynamodb, 'closer');
  await processLines(clickstream, clients.dynamodb, tables, lines, { batchSize: 50 });
  reader = await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable);
  store = new StateStore({ client: clients.dynamodb, tableName: tables.stateTable });
  lastUpdate = Math.max(...(await store.listCheckpoints()).map((c) => c.updatedAt));
  const handler = createEmitterHandler(clickstream, {
    dynamodb: clients.dynamodb,
    ...tables,
    sinks: [sink.sink],
    persistResults: true, // state queries of past final results read the result items (opt-in)
    logger: silentLogger(),
  });
  emit = async (records) =>
    deliverStream(records, async (batch) => (await handler({ Records: batch }, lambdaContext())) as any);
  await emit(await reader.next());
});
afterAll(() => clients.destroy());

const closer = (now: number) =>
  runCloser({ pipeline: clickstream, client: clients.dynamodb, tableName: tables.stateTable, store, now: () => now });
const emitted = (): WindowResult[] =>
  sink.received
    .map((m) => ({ window: m.window, key: m.key, start: m.start, end: m.end, values: m.values }))
    .sort(compareResults);

describe('closer: windows close when traffic stops', () => {
  it('before the idle timeout the watermark is the stream time: only keys that lag behind it are finalized', async () => {
    const before = sink.received.length;
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(expected.results.length);
    const streamTime = Math.max(...(await store.listCheckpoints()).map((c) => c.streamTime));
    const outcome = await closer(lastUpdate + 30_000);
    expect(outcome.watermark).toMatchObject({ mode: 'active', watermark: streamTime });
    await emit(await reader.next());
    // Keys without events in the last batches had windows the stream time closes: those, and only those, are final.
    const grace = 5 * 60_000;
    const added = sink.received.slice(before);
    expect(added.length).toBe(outcome.windows);
    for (const m of added) {
      expect(m.window === 'sessions' ? m.end + 30_000 + grace < streamTime : m.end + grace <= streamTime).toBe(true);
    }
    expect((await closer(lastUpdate + 30_000)).closed).toBe(0);
  });

  it('a state query shows open windows and the final results persisted so far', async () => {
    const key = expected.results.at(-1)!.key;
    const result = await queryState({
      pipeline: clickstream,
      client: clients.dynamodb,
      tableName: tables.stateTable,
      window: 'perMinute',
      key,
    });
    expect(result.open.length).toBeGreaterThan(0);
    expect(result.open.every((w) => w.status === 'open' || w.status === 'closed')).toBe(true);
    const finals = emitted().filter((r) => r.key === key && r.window === 'perMinute');
    expect(result.final.map(({ id: _id, status: _s, ...r }) => r)).toEqual(finals);
    await expect(
      queryState({
        pipeline: clickstream,
        client: clients.dynamodb,
        tableName: tables.stateTable,
        window: 'perHour',
        key,
      }),
    ).rejects.toThrow(/Unknown window "perHour".*perMinute/);
  });

  it('idle sources let wall-clock time close the last windows; final results equal replay()', async () => {
    // 3 minutes of silence: only windows whose end + grace (5 min) passed close, the rest stays open.
    const partial = await closer(lastUpdate + 3 * 60_000);
    expect(partial.watermark.mode).toBe('idle');
    await emit(await reader.next());
    const afterPartial = sink.received.length;
    // A day of silence: everything closes, one conditional write per key.
    const full = await closer(lastUpdate + 86_400_000);
    expect(full.closed).toBeLessThanOrEqual(6);
    expect(full.closed).toBeGreaterThan(0);
    expect(full.failedKeys).toEqual([]);
    await emit(await reader.next());
    expect(sink.received.length).toBeGreaterThan(afterPartial);
    expect(new Set(sink.received.map((m) => m.id)).size).toBe(sink.received.length);
    expect(emitted()).toEqual(expected.results);
    // Nothing left: a later run writes nothing.
    const again = await closer(lastUpdate + 2 * 86_400_000);
    expect(again.closed).toBe(0);
    expect(again.candidates).toBe(0);
  });

  it('after closing, a state query returns only final results, equal to replay()', async () => {
    const key = expected.results.at(-1)!.key;
    const result = await queryState({
      pipeline: clickstream,
      client: clients.dynamodb,
      tableName: tables.stateTable,
      window: 'perMinute',
      key,
    });
    expect(result.open).toEqual([]);
    const want = expected.results.filter((r) => r.key === key && r.window === 'perMinute');
    expect(result.final.map(({ id: _id, status: _s, ...r }) => r)).toEqual(want);
    const from = want[2]!.start;
    const to = want[5]!.start;
    const ranged = await queryState({
      pipeline: clickstream,
      client: clients.dynamodb,
      tableName: tables.stateTable,
      window: 'perMinute',
      key,
      from,
      to,
    });
    expect(ranged.final.map((r) => r.start)).toEqual(want.slice(2, 5).map((r) => r.start));
  });

  it('`streamfold state` prints the same final results (JSON)', async () => {
    const key = expected.results.at(-1)!.key;
    let out = '';
    const program = new Command('streamfold').exitOverride();
    registerState(program, { stdout: (t) => (out += t), stderr: () => {}, cwd: process.cwd() });
    await program.parseAsync(
      [
        'state',
        '-p',
        'pipelines/clickstream.ts',
        '-w',
        'perMinute',
        '-k',
        key,
        '--table',
        tables.stateTable,
        '--endpoint',
        endpoints.dynamodb,
        '--region',
        'us-east-1',
        '--json',
      ],
      { from: 'user' },
    );
    const printed = JSON.parse(out);
    const want = expected.results.filter((r) => r.key === key && r.window === 'perMinute');
    expect(printed.final.map((r: { start: number }) => r.start)).toEqual(want.map((r) => r.start));
    expect(printed.open).toEqual([]);
  });
});
