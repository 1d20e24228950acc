// End to end, a sink outage in the local runtime: the emission plugin's console sink (`onMessages`) refuses everything
// for the first seconds of the run (it throws: the local stand-in for an SNS/Firehose outage). The real emitter spills
// what it refuses to `<dir>/undelivered/`, the stream moves on, and the closer's tick re-delivers once the sink is
// back: every alert reaches it exactly once, every final result at least once with the same id; the warehouse's
// `results` view (another sink, never down) equals the offline replay; nothing is left in `undelivered/`.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplayOutput, replay } from '../../core';
import type { AlertMessage, EmitMessage } from '../../lambdas/sinks/index';
import { generate } from '../../local/generator/index';
import {
  type DevRuntime,
  driveLines,
  type EmissionPlugin,
  emissionPlugin,
  startDevRuntime,
} from '../../local/runtime/index';
import { queryWarehouse } from '../../local/warehouse/index';
import { clickstream } from '../../pipelines/clickstream';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-outage-e2e-'));
const EVENTS = 2400;
const run = generate({
  seed: 7_070,
  events: EVENTS,
  users: 30,
  bots: 2,
  botEventsPerMinute: 120,
  eventsPerSecond: 13,
  targetBytes: 200,
  startTime: new Date(Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000),
});
const lines = [...run].map((item) => item.line);

let runtime: DevRuntime;
let plugin: EmissionPlugin;
let want: ReplayOutput;
/** What the console sink accepted (nothing while it is down). */
const accepted: EmitMessage[] = [];
let refusedCalls = 0;
let down = true;

beforeAll(async () => {
  plugin = emissionPlugin({
    pollIntervalMs: 200,
    closerIntervalMs: 1000,
    idleTimeoutMs: 10_000,
    warehouse: { bufferingIntervalMs: 2000 },
    logAlerts: false,
    onMessages: (messages) => {
      if (down) {
        refusedCalls++;
        throw new Error('console sink unavailable (injected outage)');
      }
      accepted.push(...messages.map((m) => structuredClone(m)));
    },
  });
  runtime = await startDevRuntime({
    pipeline: clickstream,
    dir,
    shards: 2,
    runFile: false,
    mapping: { pollIntervalMs: 200, maximumBatchingWindowMs: 200 },
    warehouse: false,
    plugins: [plugin],
  });
  want = replay(clickstream, lines, { shards: runtime.resources.ranges });
  await driveLines({ producer: runtime.producer({ maxInFlight: 1 }), lines });
  await runtime.drain(300_000);
  await plugin.finish(120_000);
  // The outage lasted the whole run: what was final so far is spilled, nothing reached the console sink.
  expect(accepted).toEqual([]);
  down = false;
  // The closer's tick (every second here) re-delivers; finish() also re-delivers once more at its end.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && plugin.counters().spillObjectsWaiting + pendingObjects() > 0) {
    await new Promise((r) => setTimeout(r, 500));
  }
  await runtime.stop();
}, 420_000);

afterAll(async () => {
  await runtime?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Spill files left under `<dir>/undelivered/`. */
function pendingObjects(): number {
  const root = join(dir, 'undelivered');
  if (!existsSync(root)) return 0;
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith('.jsonl')).length;
}

describe('local emission through a sink outage', () => {
  it('spilled what the sink refused, re-delivered all of it, and left nothing in undelivered/', () => {
    const c = plugin.counters();
    expect(refusedCalls).toBeGreaterThan(0);
    expect(c.spilled).toBeGreaterThan(0);
    expect(c.redelivered).toBe(c.spilled);
    expect(pendingObjects()).toBe(0);
    expect(c.failures).toBe(0); // no stream record failed: the spill took what the sink refused
  });

  it('every alert reached the sink exactly once, every result at least once with the same id and values', () => {
    const alerts = accepted.filter((m): m is AlertMessage => m.kind === 'alert');
    expect(want.alerts.length).toBeGreaterThan(0);
    expect(new Set(alerts.map((a) => a.id)).size).toBe(alerts.length);
    const key = (a: { alert?: string; window: string; key: string; start: number }) =>
      `${a.alert ?? ''}|${a.window}|${a.key}|${a.start}`;
    expect(alerts.map(key).sort()).toEqual(want.alerts.map(key).sort());
    const results = new Map<string, EmitMessage>();
    for (const m of accepted.filter((x) => x.kind === 'result')) {
      const first = results.get(m.id);
      if (first) expect(m).toEqual(first);
      else results.set(m.id, m);
    }
    expect(results.size).toBe(want.results.length);
    // The alerts file (a sink that was never down) has each alert once too.
    const file = readFileSync(join(dir, 'alerts.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
    expect(file.length).toBe(want.alerts.length);
  });

  it('the results view (a sink that was never down) equals the replay, one row per id', async () => {
    const out = await queryWarehouse(
      join(dir, 'warehouse'),
      'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM results',
    );
    expect(out.rows).toEqual([{ n: want.results.length, ids: want.results.length }]);
  });
});
