/**
 * Paired A/B of the processor's handler path between two commits (both must have bench/handler-path.ts): each is
 * checked out in a temporary worktree and bundled with esbuild; both bundles then run in this one process, passes
 * alternated, so that a machine whose speed drifts from minute to minute (this one's does, by up to 2×) shifts both
 * alike. Prints JSON: each build's median µs per event (dedupe off and on) and the median of the per-pair ratios
 * (B / A).
 *
 *   npx tsx scripts/handler-path-ab.ts <commit A> <commit B> [pairs, default 8]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import type { HandlerPathFigures, HandlerPathWorkload } from '../bench/handler-path';
import type { Pipeline } from '../core';

interface Build {
  readonly runHandlerPath: (pipeline: Pipeline, w: HandlerPathWorkload) => Promise<HandlerPathFigures>;
  readonly clickstream: Pipeline;
}

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'node_modules', '.cache', 'handler-path-ab');

/** Bundle bench/handler-path.ts and the reference pipeline as they are at `commit` (packages stay imports). */
async function bundleAt(commit: string): Promise<string> {
  const tree = mkdtempSync(join(tmpdir(), 'handler-path-ab-'));
  try {
    execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', tree, commit], { stdio: 'ignore' });
    const entry = join(tree, 'handler-path-ab-entry.ts');
    writeFileSync(
      entry,
      "export { runHandlerPath } from './bench/handler-path';\nexport { clickstream } from './pipelines/clickstream';\n",
    );
    mkdirSync(OUT, { recursive: true });
    const outfile = join(OUT, `${commit.replace(/[^\w.-]/g, '_')}.mjs`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'warning',
    });
    return outfile;
  } finally {
    execFileSync('git', ['-C', ROOT, 'worktree', 'remove', '--force', tree], { stdio: 'ignore' });
    rmSync(tree, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const [a, b, pairsArg] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: npx tsx scripts/handler-path-ab.ts <commit A> <commit B> [pairs]');
  const pairs = Number(pairsArg ?? 8);
  if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`pairs: expected a positive integer, got ${pairsArg}`);
  const builds: Build[] = [];
  for (const commit of [a, b]) builds.push((await import(pathToFileURL(await bundleAt(commit)).href)) as Build);
  const workload: HandlerPathWorkload = {
    events: 30_000,
    users: 10_000,
    batchSize: 1000,
    runs: 1,
    seed: 42,
    targetBytes: 1024,
  };
  const off: [number[], number[]] = [[], []];
  const on: [number[], number[]] = [[], []];
  for (let i = 0; i < pairs; i++) {
    for (const side of [0, 1] as const) {
      const figures = await builds[side]!.runHandlerPath(builds[side]!.clickstream, workload);
      off[side].push(figures.dedupeOff.usPerEvent);
      on[side].push(figures.dedupeOn.usPerEvent);
    }
  }
  const ratio = (x: [number[], number[]]) => Math.round(median(x[0].map((v, i) => x[1][i]! / v)) * 1000) / 1000;
  const result = {
    commits: { a, b },
    pairs,
    usPerEvent: {
      a: { dedupeOff: median(off[0]), dedupeOn: median(on[0]) },
      b: { dedupeOff: median(off[1]), dedupeOn: median(on[1]) },
    },
    ratioBOverA: { dedupeOff: ratio(off), dedupeOn: ratio(on) },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

await main();
