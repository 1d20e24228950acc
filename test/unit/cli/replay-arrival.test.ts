// `streamfold replay --arrival-field` / `--arrived-by` (issue 11, hole 5): the replay applies the processor's future
// rule from each line's arrival time, or against a time by which every line had arrived (default: now).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../bin/cli';

const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'streamfold-replay-arrival-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'streamfold', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: root,
  });
  return { code, stdout, stderr };
}

const T = Date.UTC(2026, 0, 1, 10);
const MIN = 60_000;
const line = (id: string, at: number, arrivedAt?: number) =>
  JSON.stringify({
    eventId: id,
    userId: `u-${id}`,
    type: 'click',
    ts: new Date(at).toISOString(),
    ...(arrivedAt === undefined ? {} : { arrivedAt: new Date(arrivedAt).toISOString() }),
  });
const input = join(tmp, 'events.jsonl');
writeFileSync(
  input,
  `${[
    line('a', T, T),
    line('b', T + 6 * MIN, T), // 6 min ahead of its arrival (clickstream's skew: the smallest grace, 5m)
    line('c', T + 4 * MIN, T),
    line('d', T + 1000), // no arrival time
    line('e', Date.UTC(2199, 0, 1)), // no arrival time, in 2199
  ].join('\n')}\n`,
);
const rejectedOf = (out: string) =>
  readFileSync(join(out, 'rejected.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const r = JSON.parse(l) as { line: number; reason: string };
      return `${r.line} ${r.reason.split(':')[0]}`;
    });

describe('streamfold replay: the future rule', () => {
  it('by default judges lines against now: only the line dated 2199 is future-time', async () => {
    const out = join(tmp, 'default');
    const r = await run('replay', '--input', input, '--out', out);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(rejectedOf(out)).toEqual(['5 future-time']);
  });

  it('with --arrival-field, judges lines that carry an arrival time exactly as the processor does', async () => {
    const out = join(tmp, 'field');
    const r = await run('replay', '--input', input, '--out', out, '--arrival-field', 'arrivedAt');
    expect(r.code).toBe(0);
    expect(rejectedOf(out)).toEqual(['2 future-time', '5 future-time']);
  });

  it('with --arrived-by, judges lines without an arrival time against that bound', async () => {
    const out = join(tmp, 'bound');
    const r = await run('replay', '--input', input, '--out', out, '--arrived-by', '2026-01-01T10:00:00Z');
    expect(r.code).toBe(0);
    expect(rejectedOf(out)).toEqual(['2 future-time', '5 future-time']);
  });

  it('exits 2 on a --arrived-by that is not a strict ISO-8601 time', async () => {
    const r = await run('replay', '--input', input, '--out', join(tmp, 'x'), '--arrived-by', 'yesterday');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--arrived-by.*expected an ISO-8601 .*"yesterday"/);
  });
});
