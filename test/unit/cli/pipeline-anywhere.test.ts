/**
 * The CLI on a pipeline file anywhere: outside this repository, in a CommonJS package scope (a .ts file with no
 * `"type": "module"` above it, as `npm init` makes) or an ES module one, importing `streamfold`. Before the bin
 * registered tsx's CommonJS hooks too, the CommonJS case failed with "Cannot require() ES Module ... in a cycle".
 * Also: which pipeline file the commands take when `--pipeline` is not given.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/run-cli';

const tmp = mkdtempSync(join(tmpdir(), 'streamfold-anywhere-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PIPELINE = `import { definePipeline, tumbling } from 'streamfold';
import { z } from 'zod';

export const visits = definePipeline({
  name: 'visits',
  schema: z.object({ site: z.string(), at: z.number() }),
  key: 'site',
  time: 'at',
  windows: { perMinute: tumbling('1m') },
  aggregates: ({ count }) => ({ visits: count() }),
});
`;
const EVENTS = ['{"site":"a","at":1000}', '{"site":"a","at":2000}', '{"site":"b","at":61000}', 'nope'].join('\n');

/** A project folder outside the repository: its package.json, zod from the repository's node_modules, events. */
function project(name: string, packageJson: object): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'pipelines'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(packageJson));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'events.jsonl'), EVENTS);
  return dir;
}

describe('a pipeline file outside the repository', { timeout: 60_000 }, () => {
  it.each([
    ['a CommonJS package (no "type": "module")', { name: 'cjs-app', type: 'commonjs' }],
    ['an ES module package', { name: 'esm-app', type: 'module' }],
  ])('replays through a pipeline in %s', async (_, manifest) => {
    const dir = project(manifest.name, manifest);
    writeFileSync(join(dir, 'pipelines', 'visits.ts'), PIPELINE);
    const r = await runCli(['replay', '-p', 'pipelines/visits.ts', '-i', 'events.jsonl', '-o', 'out'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pipeline: 'visits', lines: 4, applied: 3, rejected: 1, results: 2 });
    expect(readFileSync(join(dir, 'out', 'results.jsonl'), 'utf8')).toContain('"key":"a"');
  });
});

describe('without --pipeline', { timeout: 60_000 }, () => {
  it('takes the only pipeline file of pipelines/', async () => {
    const dir = project('one', { name: 'one', type: 'module' });
    writeFileSync(join(dir, 'pipelines', 'visits.ts'), PIPELINE);
    const r = await runCli(['replay', '-i', 'events.jsonl', '-o', 'out'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pipeline: 'visits' });
  });

  it('asks for --pipeline when pipelines/ holds several or none', async () => {
    const dir = project('two', { name: 'two', type: 'module' });
    writeFileSync(join(dir, 'pipelines', 'visits.ts'), PIPELINE);
    writeFileSync(join(dir, 'pipelines', 'other.ts'), PIPELINE.replace("'visits'", "'other'"));
    const several = await runCli(['replay', '-i', 'events.jsonl', '-o', 'out'], { cwd: dir });
    expect(several.code).toBe(2);
    expect(several.stderr).toBe(
      'streamfold: no pipeline file given and 2 in pipelines/ (pipelines/other.ts, pipelines/visits.ts): choose one with --pipeline <file.ts>\n',
    );
    const none = await runCli(['replay', '-i', 'events.jsonl', '-o', 'out'], { cwd: tmp });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /^streamfold: no pipeline file given and none in .*pipelines: give one with --pipeline/,
    );
  });
});
