// End to end, emission: a bounded local run of the reference pipeline with planted bots (generator -> producer ->
// kinesis-mock -> local event source mapping -> the real Kinesis handler -> DynamoDB Local -> its stream -> the real
// emitter, plus the real closer on a timer), then no more traffic until the closer has finalized the last windows.
// Checked against the offline replay of the same lines with the stream's real shard hash ranges: the bot alerts in
// `<dir>/alerts.jsonl`, each once; the final results in the local warehouse, each once, read through `streamfold query`.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayOutput, replay } from '../../core';
import { loadIdKey } from '../../lambdas/emitter/index';
import { type AlertMessage, alertId, type EmitMessage, resultId } from '../../lambdas/sinks/index';
import { generate } from '../../local/generator/index';
import {
  type DevRuntime,
  driveLines,
  type EmissionPlugin,
  emissionPlugin,
  type RunSummary,
  startDevRuntime,
} from '../../local/runtime/index';
import { queryWarehouse } from '../../local/warehouse/index';
import { clickstream } from '../../pipelines/clickstream';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'streamfold-emission-e2e-'));

// 13 events per second of event time: 8,000 lines span 10 full minutes of event time, so the first windows become
// final (end + 5 minutes of grace) while traffic flows and the last ones only after it stopped; the 3 planted bots
// (120 events a minute each) cross the `potential-bot` threshold in every full minute. Event times two hours back
// (state TTLs stay in the future); few users, so results stay in the low thousands; small lines.
const EVENTS = 8000;
const run = generate({
  seed: 20_260_606,
  events: EVENTS,
  users: 60,
  bots: 3,
  botEventsPerMinute: 120,
  eventsPerSecond: 13,
  targetBytes: 200,
  startTime: new Date(Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000),
});
const lines = [...run].map((item) => item.line);

let runtime: DevRuntime;
let plugin: EmissionPlugin;
let summary: RunSummary;
let want: ReplayOutput;
const delivered: EmitMessage[] = [];
let lastClosed = 0;
let resultsBeforeFinish = 0;
let idKey: Uint8Array;
const timings = { producedMs: 0, closedMs: 0, totalMs: 0 };

const readJsonl = <T>(path: string): T[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);
const windowKey = (a: { alert?: string; window: string; key: string; start: number }) =>
  `${a.alert ?? ''}|${a.window}|${a.key}|${a.start}`;

/** Rows of the `results` view, through the real CLI (`node bin/streamfold.js query --json`). */
async function cliQuery(sql: string): Promise<Record<string, unknown>[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(root, 'bin/streamfold.js'), 'query', '--dir', dir, sql, '--json'],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  const started = Date.now();
  plugin = emissionPlugin({
    pollIntervalMs: 200,
    closerIntervalMs: 1000,
    idleTimeoutMs: 10_000,
    warehouse: { bufferingIntervalMs: 5000 },
    onMessages: (messages) => delivered.push(...messages),
  });
  runtime = await startDevRuntime({
    pipeline: clickstream,
    dir,
    shards: 3,
    runFile: false,
    mapping: { pollIntervalMs: 200, maximumBatchingWindowMs: 200 },
    warehouse: { bufferingIntervalMs: 5000 },
    plugins: [plugin],
  });
  want = replay(clickstream, lines, { shards: runtime.resources.ranges });
  // One request in flight: each shard receives its records in generator order, as replay() routes them.
  const sent = await driveLines({ producer: runtime.producer({ maxInFlight: 1 }), lines });
  expect(sent).toBe(EVENTS);
  await runtime.drain(300_000);
  timings.producedMs = Date.now() - started;
  // Traffic has stopped: the closer's clock moves past every window's end + grace (11 minutes for the reference
  // pipeline's 5 minute hopping windows with 5 minutes of grace), as that much time with no traffic would; the closer
  // finalizes the last windows and the emitter delivers them.
  resultsBeforeFinish = plugin.counters().results;
  lastClosed = await plugin.finish(120_000);
  timings.closedMs = Date.now() - started - timings.producedMs;
  idKey = await loadIdKey({ client: runtime.clients.dynamodb, tableName: runtime.names.stateTable });
  summary = await runtime.stop(); // flushes the results buffer into the warehouse
  timings.totalMs = Date.now() - started;
  const c = plugin.counters();
  console.info(
    `[e2e emission] ${EVENTS} events processed in ${(timings.producedMs / 1000).toFixed(1)} s, last windows closed ` +
      `${(timings.closedMs / 1000).toFixed(1)} s after traffic stopped, ${(timings.totalMs / 1000).toFixed(1)} s in ` +
      `all; ${c.alerts} alerts, ${c.results} results delivered (${resultsBeforeFinish} before traffic stopped) by ${c.invocations} emitter invocations ` +
      `(${c.failures} partial failures); closer ran ${c.closerRuns}×, closed ${c.windowsClosed} windows`,
  );
}, 420_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('local emission, end to end', () => {
  it('the run processed every event and the closer finalized windows, also after traffic stopped', () => {
    expect(summary.processed).toBe(EVENTS);
    expect(summary.functionErrors).toBe(0);
    const c = plugin.counters();
    // Final results came while traffic flowed (processor or closer) and after it stopped (the closer alone).
    expect(resultsBeforeFinish).toBeGreaterThan(0);
    expect(lastClosed).toBeGreaterThan(0);
    // Final results reach the raw sinks at least once (a redelivered stream record sends its results again, same id);
    // each distinct id is one final result of the replay; the `results` view has each exactly once (next tests).
    const resultIds = new Set(delivered.filter((m) => m.kind === 'result').map((m) => m.id));
    expect(resultIds.size).toBe(want.results.length);
    expect(c.results).toBeGreaterThanOrEqual(want.results.length);
    expect(c.watermark).toBeGreaterThan(new Date(run.summary.endTime).getTime() + 10 * 60_000);
    expect(c.warehouse!.received).toBeGreaterThanOrEqual(want.results.length);
    expect(c.warehouse).toMatchObject({ delivered: c.warehouse!.received, buffered: 0 });
    // Nothing was refused by a sink, so nothing waits in .streamfold/undelivered/.
    expect([c.spilled, c.spillObjectsWaiting]).toEqual([0, 0]);
    // Emission costs at most 0.1 write units per final result (alert markers only; results have none).
    expect(c.emitterWriteUnits / want.results.length).toBeLessThanOrEqual(0.1);
  });

  it('every planted bot alert is delivered exactly once per window and key, and nothing else', () => {
    const { botIds } = run.summary;
    const file = readJsonl<AlertMessage>(join(dir, 'alerts.jsonl'));
    // Once: no id twice in the file, nor at the console sink.
    expect(new Set(file.map((a) => a.id)).size).toBe(file.length);
    const consoleAlerts = delivered.filter((m) => m.kind === 'alert');
    expect(consoleAlerts.map((a) => a.id).sort()).toEqual(file.map((a) => a.id).sort());
    // Equal to the replay's alerts, with their deterministic ids.
    expect(file.map(windowKey).sort()).toEqual(want.alerts.map(windowKey).sort());
    for (const a of file) expect(a.id).toBe(alertId(idKey, clickstream.name, a.alert, a.window, a.key, a.start));
    // Only bots, every bot, in each full minute of event time (10 full minutes: 10 alerts a bot at least).
    expect(file.every((a) => a.alert === 'potential-bot' && a.window === 'perMinute')).toBe(true);
    expect([...new Set(file.map((a) => a.key))].sort()).toEqual([...botIds].sort());
    for (const bot of botIds) {
      const alerts = file.filter((a) => a.key === bot);
      expect(alerts.length).toBeGreaterThanOrEqual(10);
      expect(new Set(alerts.map((a) => a.start)).size).toBe(alerts.length);
    }
  });

  it('the warehouse holds the final results, each once, equal to the offline replay (through `streamfold query`)', async () => {
    const rows = await cliQuery(
      'SELECT id, kind, pipeline, "window", key, window_start, window_end, "values" FROM results ORDER BY ALL',
    );
    expect(rows.length).toBe(want.results.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    const got = rows.map((r) => ({
      window: String(r.window),
      key: String(r.key),
      start: Number(r.window_start),
      end: Number(r.window_end),
      values: JSON.parse(String(r.values)) as Record<string, unknown>,
    }));
    const byWindow = (x: { window: string; key: string; start: number }) => `${x.window}|${x.key}|${x.start}`;
    const expected = JSON.parse(JSON.stringify(want.results)) as typeof got;
    expect(got.sort((a, b) => byWindow(a).localeCompare(byWindow(b)))).toEqual(
      expected.sort((a, b) => byWindow(a).localeCompare(byWindow(b))),
    );
    for (const r of rows) {
      expect(r).toMatchObject({ kind: 'result', pipeline: clickstream.name });
      expect(r.id).toBe(resultId(idKey, clickstream.name, String(r.window), String(r.key), Number(r.window_start)));
    }
  });

  it('the documented per-minute query works, and results sit under aggregates/dt=.../ like the cloud delivery', async () => {
    const perMinute = await cliQuery(
      `SELECT key, window_start, "values"->>'events' AS events FROM results WHERE "window" = 'perMinute'`,
    );
    expect(perMinute.length).toBe(want.results.filter((r) => r.window === 'perMinute').length);
    const bots = perMinute.filter((r) => run.summary.botIds.includes(String(r.key)) && Number(r.events) > 100);
    expect(bots.length).toBe(want.alerts.length);
    const layout = await queryWarehouse(
      join(dir, 'warehouse'),
      "SELECT DISTINCT dt, regexp_extract(filename, 'aggregates/dt=[0-9-]+/clickstream-aggregates-1-') <> '' AS ok " +
        "FROM read_json('" +
        join(dir, 'warehouse', 'aggregates', '**', '*.gz') +
        "', filename = true, hive_partitioning = true)",
    );
    expect(layout.rows.length).toBeGreaterThan(0);
    for (const row of layout.rows) expect(row).toEqual({ dt: expect.stringMatching(/^\d{4}-\d\d-\d\d$/), ok: true });
  });
});
