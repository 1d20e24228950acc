// Issue 15: definitions that change under live state. Each scenario runs the real Kinesis processor handler on
// DynamoDB Local: the old definition's containers process the first records, a new definition's containers (fresh,
// as after a deploy) process the rest (a third phase for rollbacks). The final results (those the state writes
// finalized, plus the table's remaining state flushed under the last definition, read by name through the table's
// layout registry) must equal replay with the same switches (`switchAt`): the documented semantics.

import { isDeepStrictEqual } from 'node:util';
import { DeleteItemCommand, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import type { KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import {
  type AlertEvent,
  compareResults,
  count,
  definePipeline,
  distinct,
  flushAll,
  hopping,
  last,
  layoutOf,
  lockOf,
  max,
  type Pipeline,
  replay,
  session,
  stateUnder,
  sum,
  tumbling,
  type WindowResult,
} from '../../core';
import {
  createKinesisHandler,
  readStoredValue,
  type SourceOutcome,
  type StoredAlert,
} from '../../lambdas/processor/index';
import { queryState } from '../../lambdas/query/index';
import {
  decodeStateAttribute,
  LAYOUT_PARTITION,
  LayoutRegistry,
  layoutItemKey,
  UnknownLayoutError,
} from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { dynamoWrapper, freshTables, lambdaContext, MemorySqs, prng, silentLogger } from './processor-helpers';

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const STREAM_ARN = 'arn:aws:kinesis:us-east-1:000000000000:stream/evolve';
const MINUTE = 60_000;
const minuteFloor = (t: number) => Math.floor(t / MINUTE) * MINUTE;

const Order = z.object({
  id: z.string(),
  user: z.string(),
  ts: z.iso.datetime({ offset: true }),
  amount: z.number(),
  page: z.string().optional(),
});
type Order = z.infer<typeof Order>;
/** The same events, widened with an optional field (BACKWARD compatible). */
const OrderWithCoupon = Order.extend({ coupon: z.string().optional() });

const WINDOWS = {
  perMinute: tumbling('1m', { grace: '1m' }),
  recent: hopping('5m', '1m', { grace: '1m' }),
  visits: session('30s', { grace: '1m' }),
};

/** An orders pipeline: the reference shape of these scenarios, with parts replaced. */
function orders(parts: {
  windows?: object;
  aggregates?: object;
  alerts?: object;
  schema?: z.ZodType;
  resets?: object;
}) {
  return definePipeline({
    name: 'orders',
    schema: (parts.schema ?? Order) as typeof Order,
    id: 'id',
    key: 'user',
    time: 'ts',
    windows: (parts.windows ?? WINDOWS) as typeof WINDOWS,
    aggregates: (parts.aggregates ?? {
      events: count(),
      revenue: sum((e: Order) => e.amount),
      pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
    }) as never,
    alerts: (parts.alerts ?? {}) as never,
    ...(parts.resets ? { resets: parts.resets as never } : {}),
  }) as Pipeline;
}

const BASE = orders({});

/**
 * Orders of a few users, mostly in order, some up to 90 s behind (some late for the 1-minute windows), 5 % sent twice
 * (a producer resend a few records later). From `couponFrom` on, events carry a coupon.
 */
function orderLines(options: { events: number; seed: number; t0: number; couponFrom?: number }): string[] {
  const random = prng(options.seed);
  const lines: string[] = [];
  const resend: { at: number; line: string }[] = [];
  for (let i = 0; i < options.events; i++) {
    const lag = random() < 0.2 ? Math.floor(random() * 90_000) : 0;
    const order: Record<string, unknown> = {
      id: `o${options.seed}-${i}`,
      user: `u${Math.floor(random() * 4)}`,
      ts: new Date(options.t0 + i * 4000 - lag).toISOString(),
      amount: 1 + Math.floor(random() * 100),
    };
    if (random() < 0.5) order.page = `/p/${Math.floor(random() * 12)}`;
    if (options.couponFrom !== undefined && i >= options.couponFrom && random() < 0.5) order.coupon = `c${i % 3}`;
    const line = JSON.stringify(order);
    lines.push(line);
    if (random() < 0.05) resend.push({ at: i + 1 + Math.floor(random() * 4), line });
    for (const r of resend.filter((x) => x.at === i)) lines.push(r.line);
  }
  return lines;
}

/** Kinesis records of one shard, sequence `first` + position, partition key = the user. */
function kinesisRecords(lines: readonly string[]): KinesisStreamRecord[] {
  return lines.map((line, i) => {
    const sequence = String(49_700_000_000_000_000_000n + BigInt(i + 1));
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: String(JSON.parse(line).user),
        sequenceNumber: sequence,
        data: Buffer.from(line).toString('base64'),
        approximateArrivalTimestamp: Date.now() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sequence}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/processor',
      awsRegion: 'us-east-1',
      eventSourceARN: STREAM_ARN,
    } as KinesisStreamRecord;
  });
}

/** A deploy: from record `from` (0-based) on, records are processed by `pipeline`'s processor. */
interface Step {
  readonly from: number;
  readonly pipeline: Pipeline;
}

/**
 * Run `lines` through the processors of the steps (each phase in fresh containers, batches of `batch` records), then
 * return the final results as the table holds them and as replay computes them with the same switches.
 */
async function switchRun(label: string, lines: readonly string[], steps: readonly Step[], batch = 9) {
  const tables = await freshTables(clients.dynamodb, label);
  const recorded = { results: [] as WindowResult[], alerts: [] as StoredAlert[], statePuts: 0, landed: 0 };
  const sqs = new MemorySqs();
  const records = kinesisRecords(lines);
  for (const [i, step] of steps.entries()) {
    const end = steps[i + 1]?.from ?? records.length;
    const wrapper = dynamoWrapper(clients.dynamodb, tables.stateTable, {}, recorded);
    const handler = createKinesisHandler(step.pipeline, {
      dynamodb: wrapper.client,
      sqs: sqs.client,
      ...tables,
      rejectedQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/rejected',
      lateQueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/late',
      storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
      logger: silentLogger(),
    });
    for (let at = step.from; at < end; at += batch) {
      const event = { Records: records.slice(at, Math.min(at + batch, end)) } as KinesisStreamEvent;
      const response = (await handler(event, lambdaContext())) as KinesisStreamBatchResponse;
      expect(response.batchItemFailures).toEqual([]);
    }
  }
  // What is left in the table, flushed under the last definition: read by name through the table's registry.
  const last = steps[steps.length - 1]!.pipeline;
  const layout = layoutOf(last);
  const registry = new LayoutRegistry({ client: clients.dynamodb, tableName: tables.stateTable });
  const results = [...recorded.results];
  const registered: string[] = [];
  const scan = await clients.dynamodb.send(new ScanCommand({ TableName: tables.stateTable, ConsistentRead: true }));
  for (const item of scan.Items ?? []) {
    if (item.pk?.S === LAYOUT_PARTITION) registered.push(item.sk!.S!);
    const text = decodeStateAttribute(item.s);
    if (item.sk?.S !== 'state' || text === undefined) continue;
    const key = item.pk!.S!;
    const k = readStoredValue(key, JSON.parse(text)).k;
    let read = stateUnder(layout, k, registry.lookup);
    if ('missing' in read) {
      await registry.fetch([read.missing]);
      read = stateUnder(layout, k, registry.lookup);
    }
    if ('missing' in read) throw new Error(`layout ${read.missing} not in the registry`);
    results.push(...flushAll(layout, key, read.state));
  }
  const switches = steps.slice(1).map((s) => ({ line: s.from + 1, pipeline: s.pipeline }));
  const expected = replay(steps[0]!.pipeline, lines, { switchAt: switches });
  // The runs without the later switches, and the stream time at each switch (see expectSwitchSemantics).
  const before = steps.slice(1).map((s, i) => ({
    results: byId(replay(steps[0]!.pipeline, lines, { switchAt: switches.slice(0, i) }).results),
    pipeline: steps[i]!.pipeline,
    streamTime: Math.max(...lines.slice(0, s.from).map((line) => Date.parse(JSON.parse(line).ts))),
  }));
  return {
    results: results.sort(compareResults),
    expected,
    before,
    alerts: recorded.alerts,
    registered: registered.sort(),
  };
}

// A session closed before a later one with the same start (a key's closed session is never reopened): the end too.
const idOf = (r: WindowResult) => `${r.window}|${r.key}|${r.start}|${r.end}`;
const byId = (results: readonly WindowResult[]) => new Map(results.map((r) => [idOf(r), r]));

/**
 * The documented semantics of a switch (README "Changing a pipeline"): replay's results with the switches, each
 * instance with replay's values — except an instance that was already final when a switch happened (its end + grace
 * at or before the stream time of the switch; sessions: last event + gap + grace before it), which the processor may
 * have emitted under the definition before that switch (a key's windows become final when the key is written, so which
 * of them the old processor emitted depends on its last batches; a window the new definition removed is then still
 * emitted): then it is exactly what that definition computes. Nothing is emitted twice or lost.
 */
function expectSwitchSemantics(run: Awaited<ReturnType<typeof switchRun>>): void {
  const ids = run.results.map(idOf);
  expect(new Set(ids).size, 'an instance emitted twice').toBe(ids.length);
  for (const e of run.expected.results) expect(ids, 'an instance lost').toContain(idOf(e));
  const expected = byId(run.expected.results);
  let earlier = 0;
  for (const r of run.results) {
    if (isDeepStrictEqual(r, expected.get(idOf(r)))) continue;
    const under = run.before.find(({ results, pipeline, streamTime }) => {
      const w = pipeline.windows.find((x) => x.name === r.window);
      if (!w || !isDeepStrictEqual(r, results.get(idOf(r)))) return false;
      return w.kind === 'session' ? r.end + w.gapMs + w.graceMs < streamTime : r.end + w.graceMs <= streamTime;
    });
    expect(under, `${JSON.stringify(r)}; replay: ${JSON.stringify(expected.get(idOf(r)))}`).toBeDefined();
    earlier++;
  }
  // Most instances are not near the switch: they equal replay with the switch exactly.
  expect(earlier).toBeLessThan(run.results.length / 4);
}

const alertIds = (alerts: readonly Pick<AlertEvent, 'alert' | 'window' | 'key' | 'start'>[]) =>
  alerts.map((a) => `${a.alert}|${a.window}|${a.key}|${a.start}`).sort();

const partialOf = (results: readonly WindowResult[]) => results.filter((r) => r.partial);

describe('definition changes on live state (real processor, DynamoDB Local) equal replay with the switch', () => {
  const t0 = minuteFloor(Date.now() - 2 * 3_600_000);
  const lines = orderLines({ events: 150, seed: 11, t0 });
  const at = 70;

  it("the issue's scenario: { events } → { biggest, events }: events 4, biggest partial with the switch's events", async () => {
    const hourly = { hourly: tumbling('1h') };
    const before = orders({ windows: hourly, aggregates: { events: count() } });
    const after = orders({ windows: hourly, aggregates: { biggest: max((e: Order) => e.amount), events: count() } });
    const hour = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
    const four = [3, 1, 2, 7].map((amount, i) =>
      JSON.stringify({ id: `e${i}`, user: 'u1', ts: new Date(hour + i * MINUTE).toISOString(), amount }),
    );
    const run = await switchRun('issue', four, [
      { from: 0, pipeline: before },
      { from: 3, pipeline: after },
    ]);
    expect(run.results).toEqual([
      {
        window: 'hourly',
        key: 'u1',
        start: hour,
        end: hour + 3_600_000,
        values: { biggest: 7, events: 4 },
        partial: ['biggest'],
      },
    ]);
    expectSwitchSemantics(run);
    // Both layouts are in the table's registry (each processor registered its own before writing).
    expect(run.registered).toEqual(
      [`layout#${layoutOf(after).fingerprint}`, `layout#${layoutOf(before).fingerprint}`].sort(),
    );
  });

  it('add an aggregate (placed first): carried values exact, the new one partial in windows open at the switch', async () => {
    const after = orders({
      aggregates: {
        biggest: max((e: Order) => e.amount),
        events: count(),
        revenue: sum((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
      },
    });
    const run = await switchRun('add-aggregate', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const partial = partialOf(run.results);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((r) => r.partial!.join() === 'biggest')).toBe(true);
    expect(run.results.filter((r) => 'biggest' in r.values && !r.partial).length).toBeGreaterThan(0);
  });

  it('remove an aggregate: dropped from state, the others exact (no partial)', async () => {
    const after = orders({
      aggregates: { events: count(), pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }) },
    });
    const run = await switchRun('remove-aggregate', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(partialOf(run.results)).toEqual([]);
    expect(replay(after, lines).results.filter((r) => r.start > t0 + at * 4000 + 3 * MINUTE)).toEqual(
      run.results.filter((r) => r.start > t0 + at * 4000 + 3 * MINUTE),
    );
  });

  it('add a window (same slices): its instances open at the switch are partial, later ones exact', async () => {
    const after = orders({ windows: { ...WINDOWS, perTwo: tumbling('2m', { grace: '1m' }) } });
    const run = await switchRun('add-window', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const two = run.results.filter((r) => r.window === 'perTwo');
    expect(two.some((r) => r.partial?.join() === 'events,revenue')).toBe(true);
    expect(two.some((r) => !r.partial)).toBe(true);
  });

  it('add a window with finer slices (30 s next to 1 m): old windows exact, the new one partial where it overlaps', async () => {
    const after = orders({ windows: { ...WINDOWS, half: tumbling('30s', { grace: '1m' }) } });
    const run = await switchRun('add-window-finer', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const carried = run.results.filter((r) => r.window !== 'half');
    expect(partialOf(carried)).toEqual([]);
  });

  it('remove a window: its open instances are dropped, the others exact', async () => {
    const after = orders({
      windows: { perMinute: WINDOWS.perMinute, visits: WINDOWS.visits },
      aggregates: { events: count(), revenue: sum((e: Order) => e.amount) },
    });
    const run = await switchRun('remove-window', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(partialOf(run.results)).toEqual([]);
  });

  it('add an alert and change one: evaluated from the switch, fired once per window, key and rule', async () => {
    const busy = (n: number) => ({ window: 'perMinute', when: (a: { events: number }) => a.events >= n });
    const before = orders({ alerts: { busy: busy(4) } });
    const after = orders({
      alerts: {
        busy: { window: 'perMinute', when: (a: { events: number }) => a.events >= 3 },
        whale: { window: 'recent', when: (a: { revenue: number }) => a.revenue > 300 },
      },
    });
    const burst = orderLines({ events: 40, seed: 5, t0 }).concat(
      Array.from({ length: 30 }, (_, i) =>
        JSON.stringify({ id: `b${i}`, user: 'u1', ts: new Date(t0 + 200_000 + i * 1500).toISOString(), amount: 40 }),
      ),
    );
    const run = await switchRun('alerts', burst, [
      { from: 0, pipeline: before },
      { from: 55, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(alertIds(run.alerts)).toEqual(alertIds(run.expected.alerts));
    expect(run.expected.alerts.some((a) => a.alert === 'whale')).toBe(true);
    expect(run.expected.alerts.some((a) => a.alert === 'busy' && a.line > 55)).toBe(true);
    // Never twice for one window, key and rule.
    expect(new Set(alertIds(run.alerts)).size).toBe(run.alerts.length);
  });

  it('widen the schema (an optional field) with an aggregate reading it: new events decode, coupons counted from the switch', async () => {
    const after = orders({
      schema: OrderWithCoupon,
      aggregates: {
        events: count(),
        revenue: sum((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
        coupons: count({ filter: (e: { coupon?: string }) => e.coupon !== undefined }),
      },
    });
    const widened = orderLines({ events: 150, seed: 11, t0, couponFrom: at });
    const run = await switchRun('widen-schema', widened, [
      { from: 0, pipeline: BASE },
      { from: at + 3, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(run.expected.summary.rejected).toBe(0);
    expect(run.results.some((r) => Number(r.values.coupons) > 0)).toBe(true);
  });

  it('apply an aggregate to one more window: partial there at the switch, exact elsewhere', async () => {
    const after = orders({
      aggregates: {
        events: count(),
        revenue: sum((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent', 'perMinute'] }),
      },
    });
    const run = await switchRun('more-windows', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const partial = partialOf(run.results);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((r) => r.window === 'perMinute' && r.partial!.join() === 'pages')).toBe(true);
  });

  it('declared reset of a window (size 1m → 2m): it starts over, partial at the switch, never read as 1-minute state', async () => {
    const after = orders({
      windows: { ...WINDOWS, perMinute: tumbling('2m', { grace: '1m' }) },
      resets: { windows: { perMinute: 1 } },
    });
    const run = await switchRun('reset-window', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const reset = run.results.filter((r) => r.window === 'perMinute' && r.end - r.start === 2 * MINUTE);
    expect(reset.some((r) => r.partial)).toBe(true);
    expect(partialOf(run.results.filter((r) => r.window !== 'perMinute'))).toEqual([]);
  });

  it('declared reset of an aggregate (sum → max under the same name): it starts from init, the others exact', async () => {
    const after = orders({
      aggregates: {
        events: count(),
        revenue: max((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
      },
      resets: { aggregates: { revenue: 1 } },
    });
    const run = await switchRun('reset-aggregate', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    const partial = partialOf(run.results);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.every((r) => r.partial!.join() === 'revenue')).toBe(true);
    // A maximum of amounts (1..100), never the sum stored before the switch.
    expect(run.results.filter((r) => r.partial).every((r) => Number(r.values.revenue ?? 0) <= 100)).toBe(true);
  });

  it('an undeclared incompatible change that still reaches a processor (check and synth bypassed) is reset, never misread', async () => {
    const after = orders({
      aggregates: {
        events: count(),
        revenue: last((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
      },
    });
    const run = await switchRun('undeclared', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(partialOf(run.results).every((r) => r.partial!.join() === 'revenue')).toBe(true);
    expect(
      run.results.every((r) => r.values.revenue === undefined || Number(r.values.revenue) <= 100 || !r.partial),
    ).toBe(true);
  });

  it('rollback after adding an aggregate (A → B → A): the old processor reads the newer state by name', async () => {
    const after = orders({
      aggregates: {
        biggest: max((e: Order) => e.amount),
        events: count(),
        revenue: sum((e: Order) => e.amount),
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
      },
    });
    const run = await switchRun('rollback', lines, [
      { from: 0, pipeline: BASE },
      { from: 50, pipeline: after },
      { from: 100, pipeline: BASE },
    ]);
    expectSwitchSemantics(run);
    // Nothing A has was lost or reset by the round trip: A's results are exactly A's alone (B's results kept B's shape).
    const alone = new Map(replay(BASE, lines).results.map((r) => [`${r.window}|${r.key}|${r.start}|${r.end}`, r]));
    for (const r of run.results.filter((x) => !('biggest' in x.values))) {
      expect(r).toEqual(alone.get(`${r.window}|${r.key}|${r.start}|${r.end}`));
    }
  });

  it('rollback after removing an aggregate (A → B → A): it comes back partial, the others exact', async () => {
    const after = orders({
      aggregates: { events: count(), pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }) },
    });
    const run = await switchRun('rollback-removed', lines, [
      { from: 0, pipeline: BASE },
      { from: 50, pipeline: after },
      { from: 100, pipeline: BASE },
    ]);
    expectSwitchSemantics(run);
    expect(partialOf(run.results).length).toBeGreaterThan(0);
    expect(partialOf(run.results).every((r) => r.partial!.join() === 'revenue')).toBe(true);
  });

  it('a state whose layout is missing from the registry is never read by position: its key waits until the descriptor is restored', async () => {
    const hourly = { hourly: tumbling('1h') };
    const before = orders({ windows: hourly, aggregates: { events: count() } });
    const after = orders({ windows: hourly, aggregates: { biggest: max((e: Order) => e.amount), events: count() } });
    const hour = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
    const four = [3, 1, 2, 7].map((amount, i) =>
      JSON.stringify({ id: `m${i}`, user: 'u1', ts: new Date(hour + i * MINUTE).toISOString(), amount }),
    );
    const records = kinesisRecords(four);
    const tables = await freshTables(clients.dynamodb, 'unknown-layout');
    const outcomes: SourceOutcome[] = [];
    const handler = (pipeline: Pipeline) =>
      createKinesisHandler(pipeline, {
        dynamodb: clients.dynamodb,
        ...tables,
        storeOptions: { backoff: { baseDelayMs: 2, maxDelayMs: 10 } },
        logger: silentLogger(),
        onInvocation: (_, o) => outcomes.push(...o),
      });
    const invoke = async (pipeline: Pipeline, batch: KinesisStreamRecord[]) =>
      (
        (await handler(pipeline)(
          { Records: batch } as KinesisStreamEvent,
          lambdaContext(),
        )) as KinesisStreamBatchResponse
      ).batchItemFailures;
    expect(await invoke(before, records.slice(0, 3))).toEqual([]);
    // The registry item of the old layout is lost (deleted by hand).
    await clients.dynamodb.send(
      new DeleteItemCommand({ TableName: tables.stateTable, Key: layoutItemKey(layoutOf(before).fingerprint) }),
    );
    const item = () =>
      clients.dynamodb.send(
        new GetItemCommand({
          TableName: tables.stateTable,
          Key: { pk: { S: 'u1' }, sk: { S: 'state' } },
          ConsistentRead: true,
        }),
      );
    const version = (await item()).Item!.v!.N;
    // Nothing else in the batch: no progress, so the invocation fails and Lambda retries it (nothing is decided).
    const failed = await invoke(after, records.slice(3)).catch((error: Error) => error);
    expect((failed as Error).name).toBe('BatchFailedError');
    expect(((failed as Error).cause as Error).name).toBe('UnknownLayoutError');
    expect(outcomes.at(-1)!.error?.message).toMatch(/is not in the layout registry .* never read by position/);
    expect((await item()).Item!.v!.N).toBe(version);
    // A state query under the new definition refuses it the same way.
    const query = (pipeline: Pipeline) =>
      queryState({ pipeline, client: clients.dynamodb, tableName: tables.stateTable, window: 'hourly', key: 'u1' });
    await expect(query(after)).rejects.toThrow(UnknownLayoutError);
    // Restored from the lock file's layouts: the retry reads the state by name.
    const restore = new LayoutRegistry({ client: clients.dynamodb, tableName: tables.stateTable });
    await restore.register(lockOf(before).layouts[0]!);
    expect(await invoke(after, records.slice(3))).toEqual([]);
    const state = readStoredValue('u1', JSON.parse(decodeStateAttribute((await item()).Item!.s)!)).k;
    expect(flushAll(layoutOf(after), 'u1', state)).toEqual(
      replay(before, four, { switchAt: { line: 4, pipeline: after } }).results,
    );
    // Queries read the newer state by name under either definition (the old one: a rollback's view).
    const open = async (pipeline: Pipeline) =>
      (await query(pipeline)).open.map((w) => ({ start: w.start, values: w.values, partial: w.partial }));
    expect(await open(before)).toEqual([{ start: hour, values: { events: 4 }, partial: undefined }]);
    expect(await open(after)).toEqual([{ start: hour, values: { biggest: 7, events: 4 }, partial: ['biggest'] }]);
  });

  it('reorder windows and aggregates only: a new layout, the same meaning, results identical to no change', async () => {
    const after = orders({
      windows: { visits: WINDOWS.visits, recent: WINDOWS.recent, perMinute: WINDOWS.perMinute },
      aggregates: {
        pages: distinct((e: Order) => e.page ?? '-', { max: 8, windows: ['recent'] }),
        revenue: sum((e: Order) => e.amount),
        events: count(),
      },
    });
    expect(layoutOf(after).fingerprint).not.toBe(layoutOf(BASE).fingerprint);
    const run = await switchRun('reorder', lines, [
      { from: 0, pipeline: BASE },
      { from: at, pipeline: after },
    ]);
    expectSwitchSemantics(run);
    expect(run.results).toEqual(
      replay(BASE, lines).results.map((r) => ({
        ...r,
        values: Object.fromEntries(
          Object.entries(r.values).sort(([a], [b]) => order(r.window, a) - order(r.window, b)),
        ),
      })),
    );
  });
});

/** Position of an aggregate in the reordered definition's window (values follow the definition's order). */
function order(_window: string, name: string): number {
  return ['pages', 'revenue', 'events'].indexOf(name);
}
