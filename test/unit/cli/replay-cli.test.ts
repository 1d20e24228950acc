import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replay } from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';
import { badInputCases } from '../../fixtures/bad-input';

const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'streamfold-replay-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 1);
const event = (id: string, userId: string, atMs: number, type = 'view') =>
  JSON.stringify({ eventId: id, userId, type, ts: new Date(T0 + atMs).toISOString(), page: '/p' });
const iso = (ms: number) => new Date(ms).toISOString();
const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('streamfold replay (spawned, end to end)', () => {
  // Valid events: three users over six minutes, a bot with 105 events in one minute, then a duplicate and a late one.
  const valid: string[] = [];
  for (let i = 0; i < 60; i++) valid.push(event(`u-${i}`, `u${i % 3}`, i * 6000, i % 4 === 0 ? 'click' : 'view'));
  for (let i = 0; i < 105; i++) valid.push(event(`bot-${i}`, 'bot-9', 60_000 + i * 500));
  valid.push(event('u-end', 'u1', 20 * 60_000));
  const duplicate = valid[5]!;
  const late = event('u-late', 'u1', 10_000); // same key (so same shard) as the 20-minute event
  // Rejected line cases (not those that are future only relative to the corpus's arrival time: this replay runs with
  // the default bound, now; a line dated 2199 is future-time either way).
  const bad = badInputCases().filter(
    (c) =>
      c.source === 'line' &&
      c.pipeline === 'clickstream' &&
      c.expect !== 'applied' &&
      !c.name.includes('ahead of arrival'),
  );

  // Interleave: a malformed line after every second valid line, then the duplicate and the late event at the end.
  const lines: Buffer[] = [];
  const expectedRejected: { line: number; code: string }[] = [];
  valid.forEach((text, i) => {
    lines.push(Buffer.from(text));
    const c = i % 2 === 1 ? bad[(i - 1) / 2] : undefined;
    if (c) {
      lines.push(c.line!);
      expectedRejected.push({ line: lines.length, code: c.expect });
    }
  });
  lines.push(Buffer.from(duplicate), Buffer.from(late));
  const lateLine = lines.length;
  const input = join(tmp, 'events.jsonl');
  writeFileSync(input, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
  const out = join(tmp, 'out');

  it('writes the four files and prints the JSON summary; every malformed line is in rejected.jsonl', () => {
    expect(bad.length).toBeGreaterThanOrEqual(20);
    expect(expectedRejected.length).toBe(bad.length);
    const run = spawnSync(
      process.execPath,
      [
        'bin/streamfold.js',
        'replay',
        '--pipeline',
        'pipelines/clickstream.ts',
        '--input',
        input,
        '--out',
        out,
        '--shards',
        '2',
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      pipeline: 'clickstream',
      lines: lines.length,
      valid: valid.length + 2,
      applied: valid.length,
      rejected: bad.length,
      duplicates: 1,
      lateEvents: 1,
      shards: 2,
    });
    expect(readdirSync(out).sort()).toEqual(['alerts.jsonl', 'late.jsonl', 'rejected.jsonl', 'results.jsonl']);

    const rejected = readJsonl(join(out, 'rejected.jsonl'));
    expect(rejected.map((r) => ({ line: r.line, code: String(r.reason).split(':')[0] }))).toEqual(expectedRejected);
    for (const r of rejected) expect(Object.keys(r)).toEqual(['line', 'reason']);

    const lateRows = readJsonl(join(out, 'late.jsonl'));
    expect(lateRows.length).toBe(summary.lateEntries);
    expect(new Set(lateRows.map((l) => l.line))).toEqual(new Set([lateLine]));
    expect(lateRows).toContainEqual({ line: lateLine, window: 'perMinute', start: iso(T0), end: iso(T0 + 60_000) });

    const alerts = readJsonl(join(out, 'alerts.jsonl'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      alert: 'potential-bot',
      window: 'perMinute',
      key: 'bot-9',
      start: iso(T0 + 60_000),
      end: iso(T0 + 120_000),
      values: { events: 101 },
    });

    // The files hold exactly what the engine's replay() computes for the same lines (malformed ones blanked).
    const reference = replay(
      clickstream,
      lines.map((l, i) => (expectedRejected.some((r) => r.line === i + 1) ? '' : l.toString('utf8'))),
      { shards: 2 },
    );
    const results = readJsonl(join(out, 'results.jsonl'));
    expect(results).toEqual(
      reference.results.map((r) => ({
        window: r.window,
        key: r.key,
        start: iso(r.start),
        end: iso(r.end),
        values: r.values,
      })),
    );
    expect(results.filter((r) => r.window === 'perMinute' && r.key === 'bot-9')).toEqual([
      { window: 'perMinute', key: 'bot-9', start: iso(T0 + 60_000), end: iso(T0 + 120_000), values: { events: 105 } },
    ]);
    expect(summary.results).toBe(results.length);
  }, 60_000); // a spawned process (tsx start-up): as long as spawnSync's own timeout on a loaded machine
});
