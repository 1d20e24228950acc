// End to end: a bounded local run of the reference pipeline (generator -> producer -> kinesis-mock -> local event
// source mapping -> the real Kinesis handler -> DynamoDB Local, plus the raw-event delivery into the local warehouse),
// checked against the offline replay of the same lines with the stream's real shard hash ranges.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replay, type WindowResult } from '../../core';
import type { InvocationSummary, StoredAlert } from '../../lambdas/processor/index';
import type { LateMessage, RejectedMessage } from '../../lambdas/side-output/index';
import { generate } from '../../local/generator/index';
import { type DevRuntime, driveLines, type RunSummary, startDevRuntime } from '../../local/runtime/index';
import { queryWarehouse } from '../../local/warehouse/index';
import { clickstream } from '../../pipelines/clickstream';
import { tableResults } from '../integration/processor-helpers';

const EVENTS = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'streamfold-e2e-'));
// Event times two hours back (state TTLs stay in the future), small lines (kinesis-mock moves ~1 MB/s at best).
const run = generate({
  seed: 20_260_101,
  events: EVENTS,
  targetBytes: 220,
  startTime: new Date(Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000),
  eventsPerSecond: 200,
  lateShare: 0.02,
  duplicateShare: 0.02,
  malformedShare: 0.01,
});
const items = [...run];
const lines = items.map((item) => item.line);

let runtime: DevRuntime;
let summary: RunSummary;
const invocations: InvocationSummary[] = [];
const finalized: WindowResult[] = [];
const alerts: StoredAlert[] = [];
let stateResults: WindowResult[] = [];
let producedMs = 0;
let totalMs = 0;

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
/** Messages by id: a redelivered message (same id) counts once, as a consumer of the queue would count it. */
const distinct = <T extends { id: string }>(messages: T[]) => [...new Map(messages.map((m) => [m.id, m])).values()];
const sorted = (values: string[]) => [...values].sort();
const total = (name: keyof InvocationSummary) => invocations.reduce((n, s) => n + Number(s[name] ?? 0), 0);

beforeAll(async () => {
  const started = Date.now();
  runtime = await startDevRuntime({
    pipeline: clickstream,
    dir,
    shards: 3,
    runFile: false,
    mapping: { pollIntervalMs: 200, maximumBatchingWindowMs: 200 },
    warehouse: { bufferingIntervalMs: 10_000 },
    processor: { onInvocation: (s) => invocations.push(s) },
    onStateWrite: (write) => {
      finalized.push(...write.results);
      alerts.push(...write.alerts);
    },
  });
  // One request in flight: each shard receives its records in generator order, as replay() routes them.
  const producer = runtime.producer({ maxInFlight: 1 });
  const sent = await driveLines({ producer, lines });
  expect(sent).toBe(EVENTS);
  producedMs = Date.now() - started;
  await runtime.drain(300_000);
  // The table (open windows flushed as at end of input) plus what the writes finalized, before the engines stop.
  stateResults = await tableResults(runtime.clients.dynamodb, runtime.names.stateTable, clickstream, finalized);
  summary = await runtime.stop();
  totalMs = Date.now() - started;
  console.info(
    `[e2e] ${EVENTS} events: produced in ${(producedMs / 1000).toFixed(1)} s, done in ${(totalMs / 1000).toFixed(1)} s; ` +
      `${summary.producedPerSec?.toFixed(0)} produced/s, ${summary.processedPerSec.toFixed(0)} processed/s, ` +
      `${summary.writeUnitsPer1000?.toFixed(0)} WU/1k events, p50 ${summary.latencyP50Ms} ms, p99 ${summary.latencyP99Ms} ms`,
  );
}, 600_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('local pipeline, end to end', () => {
  const expected = () => replay(clickstream, lines, { shards: runtime.resources.ranges });

  it('the generated run plants duplicates, late and malformed events', () => {
    const { counts } = run.summary;
    expect(counts.duplicate).toBe(400);
    expect(counts.late).toBe(400);
    expect(counts.malformed).toBe(200);
    expect(counts.event + counts.duplicate + counts.late + counts.malformed).toBe(EVENTS);
    expect(runtime.resources.ranges.length).toBe(3);
  });

  it('every generated event is accounted for exactly once: applied, duplicate, late or rejected', () => {
    const { counts } = run.summary;
    expect(total('applied')).toBe(counts.event);
    expect(total('duplicates')).toBe(counts.duplicate);
    expect(total('late')).toBe(counts.late);
    expect(total('rejected')).toBe(counts.malformed);
    expect(total('applied') + total('duplicates') + total('late') + total('rejected')).toBe(EVENTS);
    expect(summary.processed).toBe(EVENTS);
    expect(summary.functionErrors).toBe(0);
    expect(summary.discarded).toBe(0);
  });

  it('the side outputs hold exactly the malformed and the late lines, each once', () => {
    const rejected = distinct(readJsonl<RejectedMessage>(runtime.files.rejected));
    const late = distinct(readJsonl<LateMessage>(runtime.files.late));
    const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');
    expect(sorted(rejected.map((m) => decode(m.data)))).toEqual(
      sorted(items.filter((i) => i.kind === 'malformed').map((i) => i.line)),
    );
    // A late record has one message per window it missed: count records by source and sequence.
    const lateRecords = new Map(late.map((m) => [`${m.source}:${m.sequence}`, decode(m.data)]));
    expect(sorted([...lateRecords.values()])).toEqual(
      sorted(items.filter((i) => i.kind === 'late').map((i) => i.line)),
    );
    const rejectedIds = new Set(rejected.map((m) => m.id));
    expect([...lateRecords.keys()].filter((id) => rejectedIds.has(id))).toEqual([]);
  });

  it('the final DynamoDB state equals the offline replay with the stream’s shard ranges', async () => {
    const want = expected();
    expect(want.summary.applied).toBe(total('applied'));
    expect(want.summary.duplicates).toBe(total('duplicates'));
    expect(want.summary.lateEvents).toBe(total('late'));
    expect(want.summary.rejected).toBe(total('rejected'));
    expect(stateResults.length).toBe(want.results.length);
    expect(stateResults).toEqual(want.results);
    const alertKey = (a: { alert: string; key: string; window: string; start: number }) =>
      `${a.alert}|${a.key}|${a.window}|${a.start}`;
    expect(sorted(alerts.map(alertKey))).toEqual(sorted(want.alerts.map(alertKey)));
    expect(want.alerts.length).toBeGreaterThan(0);
  });

  it('the raw copy holds every record once, partitioned like the Firehose delivery', async () => {
    const warehouse = runtime.files.warehouse;
    const byType = await queryWarehouse(
      warehouse,
      'SELECT event_type, count(*)::INTEGER AS n FROM raw_events GROUP BY 1',
    );
    const delivered = byType.rows.reduce((n, r) => n + Number(r.n), 0);
    const errors = await queryWarehouse(warehouse, 'SELECT count(*)::INTEGER AS n FROM event_errors');
    expect(delivered + Number(errors.rows[0]?.n)).toBe(EVENTS);
    expect(summary.warehouse).toMatchObject({ received: EVENTS, delivered, buffered: 0 });
    const views = byType.rows.find((r) => r.event_type === 'view');
    const typeOf = (line: string) => {
      try {
        return (JSON.parse(line) as { type?: unknown })?.type;
      } catch {
        return undefined;
      }
    };
    expect(Number(views?.n)).toBe(lines.filter((l) => typeOf(l) === 'view').length);
  });

  it('the clean events show each valid event once: the events replay() did not reject, by event id', async () => {
    const want = expected();
    const rejectedLines = new Set(want.rejected.map((r) => r.line - 1));
    const validIds = new Set(
      lines.filter((_, i) => !rejectedLines.has(i)).map((line) => JSON.parse(line).eventId as string),
    );
    const counts = await queryWarehouse(
      runtime.files.warehouse,
      'SELECT count(*)::INTEGER AS n, count(DISTINCT eventId)::INTEGER AS ids FROM events',
    );
    expect(counts.rows[0]).toEqual({ n: validIds.size, ids: validIds.size });
    expect(summary.cleanEvents).toMatchObject({ buffered: 0 });
    expect(summary.cleanEvents!.delivered).toBeGreaterThanOrEqual(EVENTS - want.rejected.length);
  });
});
