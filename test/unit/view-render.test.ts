import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HotKeys, LatencyReservoir, type RuntimeSnapshot } from '../../local/runtime/index';
import { LiveView, progressLine, progressOf, renderFrame, renderLogLine, renderSummary } from '../../local/view/index';

const snapshot = (over: Partial<RuntimeSnapshot> = {}): RuntimeSnapshot => ({
  phase: 'running',
  elapsedMs: 42_000,
  produced: 12_345,
  producedPerSec: 210.4,
  producerRetries: 0,
  processed: 12_000,
  processedPerSec: 205.25,
  millisBehindLatest: 0,
  maxMillisBehindLatest: 0,
  iteratorAgeMs: 850,
  maxIteratorAgeMs: 2300,
  batches: 40,
  retries: 2,
  bisects: 1,
  functionErrors: 0,
  discarded: 0,
  applied: 11_700,
  duplicates: 120,
  rejected: 60,
  late: 120,
  writeUnits: 16_200,
  writeUnitsPer1000: 1350,
  latencyP50Ms: 1200,
  latencyP99Ms: 4800,
  hotKeys: [
    { key: 'bot-001', count: 300 },
    { key: 'user-000001', count: 120 },
  ],
  alerts: [
    {
      alert: 'potential-bot',
      key: 'bot-001',
      window: 'perMinute',
      start: Date.UTC(2026, 0, 1, 10, 5),
      end: Date.UTC(2026, 0, 1, 10, 6),
      seenAt: 0,
    },
  ],
  alertsTotal: 3,
  windowsFinalized: 7,
  warehouse: { received: 12_000, delivered: 11_900, failed: 20, objects: 9, buffered: 80 },
  target: { durationMs: 60_000 },
  pluginLines: ['emitter: 3 alerts delivered'],
  ...over,
});

const ESC = String.fromCharCode(27);

describe('live view rendering', () => {
  it('progress is the larger share of events or time done, capped at 100 %, and absent for unbounded runs', () => {
    expect(progressOf(snapshot())).toBeCloseTo(0.7);
    expect(progressOf(snapshot({ target: { events: 10_000, durationMs: 600_000 } }))).toBe(1);
    expect(progressOf(snapshot({ target: { events: 24_000 } }))).toBeCloseTo(0.5);
    expect(progressOf(snapshot({ target: {} }))).toBeUndefined();
    expect(progressLine(snapshot({ target: {} }))).toBeUndefined();
    const bar = progressLine(snapshot(), { barWidth: 10 });
    expect(bar).toContain('███████░░░');
    expect(bar).toContain(' 70%');
    expect(bar).toContain('0:42 / 1:00');
  });

  it('the frame shows rates, lag, batches, counts, write units, hottest keys, alerts and plugin lines', () => {
    const frame = renderFrame(snapshot(), { color: false });
    for (const text of [
      '210.4/s',
      '205.3/s',
      '850 ms',
      '2 / 1',
      '11,700',
      '1,350.0',
      '1,200 ms',
      '4,800 ms',
      'bot-001',
      'user-000001',
      'potential-bot',
      'perMinute 2026-01-01T10:05Z',
      'emitter: 3 alerts delivered',
      '11,900 / 80',
    ]) {
      expect(frame).toContain(text);
    }
    expect(frame).not.toContain(ESC);
  });

  it('shows "none yet" before keys and alerts, and "external" when only other producers send', () => {
    const frame = renderFrame(snapshot({ hotKeys: [], alerts: [], produced: undefined, producedPerSec: undefined }), {
      color: false,
    });
    expect(frame.match(/none yet/g)).toHaveLength(2);
    expect(frame).toContain('external');
  });

  it('a plain log line carries the main figures on one line', () => {
    const line = renderLogLine(snapshot());
    expect(line).not.toContain('\n');
    expect(line).toMatch(
      /^\[0:42\] \| produced 12,345 \(210\.4\/s\) \| processed 12,000 \(205\.3\/s\) \| behind 850 ms/,
    );
    expect(line).toContain('WU/1k 1,350.0');
    expect(line).toContain('hottest bot-001 (300)');
    expect(line).toContain('70%');
  });

  it('the summary reports the maxima of the run', () => {
    const text = renderSummary(snapshot({ phase: 'stopped' }), { color: false });
    expect(text).toContain('streamfold dev summary (0:42)');
    expect(text).toContain('max iterator age');
    expect(text).toContain('2,300 ms');
    expect(text).toContain('write units / 1,000 events');
  });

  it('without a TTY, LiveView writes plain lines (no escape codes), and log lines pass through', () => {
    let out = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        out += String(chunk);
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const view = new LiveView(() => snapshot(), { stream, tty: false });
    view.start();
    view.log('hello');
    view.stop();
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\[0:42\] \| produced/);
    expect(lines[1]).toBe('hello');
    expect(out).not.toContain(ESC);
  });
});

describe('figures behind the view', () => {
  it('latency percentiles are exact below the reservoir size and stay close above it', () => {
    const exact = new LatencyReservoir(1000);
    for (let i = 1; i <= 100; i++) exact.add(i);
    expect(exact.percentile(50)).toBe(50);
    expect(exact.percentile(99)).toBe(99);
    expect(new LatencyReservoir().percentile(50)).toBeUndefined();
    const sampled = new LatencyReservoir(2000, 7);
    for (let i = 1; i <= 100_000; i++) sampled.add(i);
    expect(sampled.count).toBe(100_000);
    expect(Math.abs((sampled.percentile(50) ?? 0) - 50_000)).toBeLessThan(4000);
    expect(Math.abs((sampled.percentile(99) ?? 0) - 99_000)).toBeLessThan(1500);
  });

  it('hot keys keep the most active keys under a key budget', () => {
    const keys = new HotKeys(100);
    for (let i = 0; i < 500; i++) keys.add(`cold-${i}`);
    keys.add('hot', 50);
    for (let i = 500; i < 700; i++) keys.add(`cold-${i}`);
    expect(keys.top(1)).toEqual([{ key: 'hot', count: 50 }]);
    expect(keys.top(3)).toHaveLength(3);
  });
});
