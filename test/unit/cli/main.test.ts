/**
 * The `streamfold` command as users run it: every test spawns `node bin/streamfold.js` (see test/support/run-cli.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPipeline, looksLikePipeline } from '../../../bin/cli/load-pipeline';
import { clickstream } from '../../../pipelines/clickstream';
import { runCli } from '../../support/run-cli';

const root = resolve(import.meta.dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'streamfold-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run `streamfold <args>` from the repository root. */
const run = (...args: string[]) => runCli(args);

const input = join(tmp, 'tiny.jsonl');
writeFileSync(
  input,
  ['{"k":"a","t":1000}', '{"k":"a","t":2000}', 'oops', '{"k":"a","t":3000}', '{"k":"b","t":4000}'].join('\n'),
);

describe('streamfold CLI', { timeout: 60_000 }, () => {
  it('replays with a pipeline found by its named export and prints the JSON summary', async () => {
    const out = join(tmp, 'out-named');
    const r = await run(
      'replay',
      '--pipeline',
      'test/fixtures/pipelines/named-export.ts',
      '--input',
      input,
      '--out',
      out,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      pipeline: 'tiny',
      lines: 5,
      valid: 4,
      rejected: 1,
      results: 2,
      alerts: 1,
    });
    expect(readFileSync(join(out, 'alerts.jsonl'), 'utf8')).toBe(
      '{"alert":"busy","window":"tenSeconds","key":"a","start":"1970-01-01T00:00:00.000Z","end":"1970-01-01T00:00:10.000Z","values":{"n":3},"line":4}\n',
    );
  });

  it('exits 2 naming the file when the pipeline file does not exist', async () => {
    const r = await run('replay', '--pipeline', 'pipelines/nope.ts', '--input', input, '--out', join(tmp, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('streamfold: pipeline file not found: pipelines/nope.ts (--pipeline "pipelines/nope.ts")\n');
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });

  it('exits 2 naming the file and the setting for a DefinitionError, without a stack trace', async () => {
    const r = await run(
      'replay',
      '-p',
      'test/fixtures/pipelines/invalid-definition.ts',
      '-i',
      input,
      '-o',
      join(tmp, 'x'),
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^streamfold: invalid pipeline definition in test\/fixtures\/pipelines\/invalid-definition\.ts: windows\.every5m\.advance: advance "5m" is larger than size "1m"/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the stack and the cause with --debug', async () => {
    const r = await run(
      '--debug',
      'replay',
      '-p',
      'test/fixtures/pipelines/invalid-definition.ts',
      '-i',
      input,
      '-o',
      tmp,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/PipelineLoadError: invalid pipeline definition/);
    expect(r.stderr).toMatch(/caused by: DefinitionError: windows\.every5m\.advance/);
    expect(r.stderr).toMatch(/\n\s+at /);
  });

  it('exits 2 when the file exports no pipeline, listing its exports', async () => {
    const r = await run('replay', '-p', 'test/fixtures/pipelines/no-pipeline.ts', '-i', input, '-o', join(tmp, 'x'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no-pipeline\.ts exports no pipeline \(exports: default, notAPipeline\)/);
  });

  it('exits 2 on usage errors: bad --shards, missing --out, missing input, unknown command', async () => {
    const shards = await run('replay', '-i', input, '-o', tmp, '--shards', '0');
    expect(shards.code).toBe(2);
    expect(shards.stderr).toMatch(/--shards <n>' argument '0' is invalid\. expected a positive integer/);
    const noOut = await run('replay', '-i', input);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/required option '-o, --out <dir>' not specified/);
    const missing = await run('replay', '-i', join(tmp, 'none.jsonl'), '-o', join(tmp, 'x'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^streamfold: input file not found: .*none\.jsonl \(--input\)/);
    expect((await run('frobnicate')).code).toBe(2);
  });

  it('prints help with exit code 0, listing every command', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const command of ['init [options] [dir]', 'dev [options]', 'produce [options]', 'query [options] <sql>']) {
      expect(r.stdout).toContain(command);
    }
    expect(r.stdout).toMatch(/replay \[options\]/);
    expect(r.stdout).toMatch(/state \[options\]/);
  });

  it('registers `streamfold state` (the README documents it)', async () => {
    const r = await run('state', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--window', '--key', '--from', '--table', '--endpoint', '--json'])
      expect(r.stdout).toContain(flag);
    const missing = await run('state', '-p', 'pipelines/clickstream.ts', '-w', 'perMinute');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/required option '-k, --key <key>' not specified/);
  });

  it('prints the package version', async () => {
    const r = await run('--version');
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
  });

  it('dev documents its run controls (the runtime itself is exercised by test/e2e)', async () => {
    const r = await run('dev', '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--pipeline', '--duration', '--events', '--no-generator']) expect(r.stdout).toContain(flag);
  });

  it('loadPipeline takes the default export first and recognises pipelines by shape', async () => {
    const loaded = await loadPipeline('pipelines/clickstream.ts', root);
    expect(loaded.exportName).toBe('default');
    expect(loaded.pipeline.name).toBe('clickstream');
    expect(looksLikePipeline(clickstream)).toBe(true);
    expect(looksLikePipeline({ windows: [], aggregates: [] })).toBe(false);
    expect(looksLikePipeline(null)).toBe(false);
  });
});
