/**
 * streamfold as a user gets it: `npm pack` (which builds dist/ on prepack), the tarball installed into an empty
 * project, `streamfold init` run by the installed bin, the generated project's own test, a second pipeline file of the
 * test's own importing `streamfold`, a replay through it, the types, and `cdk synth` offline: one stack per pipeline,
 * each with its Lambda functions bundled from the installed package, cdk-nag's AwsSolutions pack clean.
 *
 * One `npm install` (dependencies from the npm cache, else the registry): the generated app lives inside the project
 * that installed the tarball, with that project's node_modules.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initPackageJson } from '../../bin/cli/commands/init';
import { REPO_ROOT } from '../support/run-cli';

const tmp = mkdtempSync(join(tmpdir(), 'streamfold-package-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const host = join(tmp, 'host');
const app = join(host, 'app');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command; resolves with its exit code and output. */
function run(command: string, args: readonly string[], cwd: string, timeoutMs = 900_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd,
        encoding: 'utf8',
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, NO_COLOR: '1', npm_config_audit: 'false', npm_config_fund: 'false' },
        // npm is a .cmd script on Windows: it runs through the shell there.
        shell: process.platform === 'win32',
      },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed; fails with its output otherwise. */
async function ok(command: string, args: readonly string[], cwd: string): Promise<Run> {
  const r = await run(command, args, cwd);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The installed `streamfold` bin of the host project. */
const streamfold = (args: readonly string[], cwd = app) =>
  run(process.execPath, [join(host, 'node_modules', 'streamfold', 'bin', 'streamfold.js'), ...args], cwd);

const SIGNUPS = `/** Signups per plan and hour: the test's own pipeline, beside the generated example. */
import { definePipeline, tumbling } from 'streamfold';
import { z } from 'zod';

export const signups = definePipeline({
  name: 'signups',
  schema: z.object({ account: z.string(), plan: z.enum(['free', 'pro', 'team']), at: z.number() }),
  id: 'account',
  key: 'plan',
  time: 'at',
  windows: { perHour: tumbling('1h', { grace: '5m' }) },
  aggregates: ({ count, distinct }) => ({ signups: count(), accounts: distinct((e) => e.account, { max: 100 }) }),
  settings: { maxFutureSkew: '5m' },
  deploy: { eventTypeField: 'plan', batchSize: 100, alarmThresholds: { rejectedPercent: 5 } },
});
`;
const HOUR = 3_600_000;
const SIGNUP_EVENTS = [
  { account: 'a1', plan: 'pro', at: HOUR + 1000 },
  { account: 'a2', plan: 'pro', at: HOUR + 2000 },
  { account: 'a3', plan: 'free', at: HOUR + 3000 },
  { account: 'a2', plan: 'pro', at: HOUR + 4000 }, // the same account again: a duplicate
  { account: 'a4', plan: 'gold', at: HOUR + 5000 }, // not a plan: rejected
  { account: 'a5', plan: 'team', at: 3 * HOUR },
].map((e) => JSON.stringify(e));

let tarball = '';
beforeAll(async () => {
  let started = Date.now();
  const packed = await ok(npm, ['pack', '--pack-destination', tmp, '--json'], REPO_ROOT);
  console.log(`npm pack (builds dist/ on prepack): ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as { filename: string }[];
  tarball = join(tmp, info!.filename);
  // An empty project depending on the tarball (and on what a generated project uses), installed once.
  mkdirSync(host);
  const manifest = initPackageJson('host', `file:${tarball}`);
  writeFileSync(join(host, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  started = Date.now();
  await ok(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], host);
  console.log(`npm install of the tarball and its dependencies: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 1_800_000);

describe('the packed streamfold package', () => {
  it('ships compiled JavaScript, declarations, the bin and the init template, not the sources', async () => {
    const listing = await ok('tar', ['-tzf', tarball], tmp);
    const files = listing.stdout.split('\n').filter(Boolean);
    for (const file of [
      'package/dist/entrypoints/index.js',
      'package/dist/entrypoints/index.d.ts',
      'package/dist/entrypoints/cdk.js',
      'package/dist/entrypoints/runtime.js',
      'package/dist/lambdas/processor/kinesis-handler.js',
      'package/bin/streamfold.js',
      'package/templates/init/pipelines/pageviews.ts',
      'package/templates/init/pipelines/pageviews.lock.json',
      'package/templates/init/gitignore',
    ]) {
      expect(files).toContain(file);
    }
    expect(files.filter((f) => /^package\/(core|lib|lambdas|local|bin\/cli|test)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(host, 'node_modules', 'streamfold', 'package.json'), 'utf8'));
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies)).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
  });

  it('init (the installed bin) writes a project that passes its own test', async () => {
    const init = await streamfold(['init', 'app', '--from', tarball], host);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')).dependencies.streamfold).toBe(`file:${tarball}`);
    // The app's dependencies are the host's (same package.json, installed above).
    symlinkSync(
      join(host, 'node_modules'),
      join(app, 'node_modules'),
      process.platform === 'win32' ? 'junction' : 'dir',
    );
    const test = await run(npm, ['test'], app);
    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/Tests\s+2 passed/);
  });

  it("replays a file through a pipeline of the user's own that imports streamfold", async () => {
    writeFileSync(join(app, 'pipelines', 'signups.ts'), SIGNUPS);
    writeFileSync(join(app, 'events', 'signups.jsonl'), `${SIGNUP_EVENTS.join('\n')}\n`);
    const r = await streamfold(['replay', '-p', 'pipelines/signups.ts', '-i', 'events/signups.jsonl', '-o', 'out']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      pipeline: 'signups',
      lines: 6,
      applied: 4,
      duplicates: 1,
      rejected: 1,
      results: 3,
    });
    const results = readFileSync(join(app, 'out', 'results.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(results).toContainEqual({
      window: 'perHour',
      key: 'pro',
      start: '1970-01-01T01:00:00.000Z',
      end: '1970-01-01T02:00:00.000Z',
      values: { signups: 2, accounts: { count: 2, overflowed: false, values: ['a1', 'a2'] } },
    });
    const rejected = readFileSync(join(app, 'out', 'rejected.jsonl'), 'utf8');
    expect(rejected).toMatch(/^\{"line":5,"reason":".*plan/);
  });

  it('type-checks against the declarations it ships', async () => {
    const tsc = await run(process.execPath, [join(host, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], app);
    expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
  });

  it('synthesizes offline: one stack per pipeline, functions bundled from the package, cdk-nag clean', async () => {
    // A new pipeline gets its definition lock first (README "Changing a pipeline"); synth checks every pipeline
    // against its lock (the template's own is shipped with it).
    const check = await streamfold(['check', '-p', 'pipelines/signups.ts', '--write']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
    expect(readdirSync(join(app, 'pipelines'))).toEqual(
      expect.arrayContaining(['pageviews.lock.json', 'signups.lock.json']),
    );
    const cdk = join(host, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    const synth = await run(process.execPath, [cdk, 'synth', '-q'], app);
    expect(synth.code, synth.stdout + synth.stderr).toBe(0);
    expect(synth.stdout + synth.stderr).not.toMatch(/AwsSolutions-/);
    const out = join(app, 'cdk.out');
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, { type: string }>;
    };
    const stacks = Object.entries(manifest.artifacts)
      .filter(([, a]) => a.type === 'aws:cloudformation:stack')
      .map(([name]) => name)
      .sort();
    expect(stacks).toEqual(['streamfold-pageviews', 'streamfold-signups']);

    const template = JSON.parse(readFileSync(join(out, 'streamfold-signups.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
    };
    const resources = Object.values(template.Resources);
    const mapping = resources.find((r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties.BatchSize);
    expect(mapping?.Properties.BatchSize).toBe(100); // from the pipeline's deploy section
    // The deploy section's partition field: the processor writes the clean events' `event_type=` from it, and the
    // Glue table projects one partition per enum value.
    const processorEnv = resources.find(
      (r) =>
        r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.STREAMFOLD_CLEAN_PARTITION_FIELD,
    )?.Properties.Environment.Variables;
    expect(processorEnv?.STREAMFOLD_CLEAN_PARTITION_FIELD).toBe('plan');
    expect(JSON.stringify(resources.filter((r) => r.Type === 'AWS::Glue::Table'))).toContain(
      '"projection.event_type.values":"free,pro,team,other"',
    );
    const tables = resources.filter((r) => r.Type === 'AWS::DynamoDB::Table').map((r) => r.Properties.TableName);
    expect(tables.sort()).toEqual(['signups-dedupe', 'signups-state']);
    // Processor, emitter and closer of each pipeline: bundles (index.mjs) of the installed package's handlers.
    const bundles = readdirSync(out).filter((f) => f.startsWith('asset.'));
    expect(bundles.length).toBe(6);
    for (const bundle of bundles) {
      expect(readdirSync(join(out, bundle))).toContain('index.mjs');
      // zod's other locales stay out of the bundles built from the installed package too (issue 16: cold start).
      const code = readFileSync(join(out, bundle, 'index.mjs'), 'utf8');
      expect(code.includes('Ungültige Eingabe'), `${bundle} carries zod's German locale`).toBe(false);
    }
    const entries = readdirSync(join(host, '.streamfold', 'cdk-entries'));
    const entry = readFileSync(
      join(host, '.streamfold', 'cdk-entries', entries.find((e) => /^processor/.test(e))!),
      'utf8',
    );
    expect(entry).toContain(join(host, 'node_modules', 'streamfold', 'dist', 'lambdas', 'processor'));
  });
});
