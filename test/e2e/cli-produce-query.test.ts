// `streamfold produce` into a running local runtime (found through its run file, as `npm start -- --no-generator`
// publishes it), then `streamfold query` over the warehouse that run delivered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli';
import { writeJsonl } from '../../local/generator/index';
import { readRunFile, startDevRuntime } from '../../local/runtime/index';
import { clickstream } from '../../pipelines/clickstream';

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'streamfold-cli-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

describe('streamfold produce and query', () => {
  it('produce finds the running dev runtime, sends every line; query reads what the warehouse delivered', async () => {
    const input = join(dir, 'events.jsonl');
    const sample = await writeJsonl(input, { seed: 3, events: 600, targetBytes: 200 });
    const work = join(dir, 'work');
    const noRun = await run('produce', '--input', input, '--dir', work);
    expect(noRun.code).toBe(1);
    expect(noRun.stderr).toMatch(/No running `streamfold dev` found/);

    const runtime = await startDevRuntime({
      pipeline: clickstream,
      dir: work,
      shards: 1,
      mapping: { pollIntervalMs: 200 },
      warehouse: { bufferingIntervalMs: 60_000 },
    });
    try {
      expect(readRunFile(work)?.stream).toBe('clickstream-events');
      const produced = await run('produce', '--input', input, '--dir', work);
      expect(produced.stderr).toBe('');
      expect(produced.code).toBe(0);
      expect(JSON.parse(produced.stdout)).toMatchObject({
        stream: 'clickstream-events',
        lines: 600,
        sent: 600,
        failed: 0,
      });
      await runtime.drain(120_000);
      expect(runtime.snapshot()).toMatchObject({
        processed: 600,
        rejected: sample.counts.malformed,
        duplicates: sample.counts.duplicate,
        late: sample.counts.late,
        produced: undefined,
      });
    } finally {
      await runtime.stop();
    }
    expect(readRunFile(work)).toBeUndefined();

    const query = await run('query', '--dir', work, '--json', 'SELECT count(*)::INTEGER AS n FROM raw_events');
    expect(query.code).toBe(0);
    const errors = await run('query', '--dir', work, '--json', 'SELECT count(*)::INTEGER AS n FROM event_errors');
    const n = (text: string) => (JSON.parse(text.trim()) as { n: number }).n;
    expect(n(query.stdout) + n(errors.stdout)).toBe(600);
    // The clean events: each valid event once (600 lines less the malformed ones and the producer resends).
    const clean = await run(
      'query',
      '--dir',
      work,
      '--json',
      'SELECT count(DISTINCT eventId)::INTEGER AS n FROM events',
    );
    const all = await run('query', '--dir', work, '--json', 'SELECT count(*)::INTEGER AS n FROM events');
    expect(n(all.stdout)).toBe(n(clean.stdout));
    expect(n(all.stdout)).toBe(600 - sample.counts.malformed - sample.counts.duplicate);
    const table = await run(
      'query',
      '--dir',
      work,
      'SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY 1',
    );
    expect(table.stdout).toMatch(/event_type/);
    expect(table.stdout).toMatch(/\(\d+ rows\)/);
    const bad = await run('query', '--dir', work, 'SELEC nonsense');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/WarehouseQueryError: Query failed/);
  });
});
