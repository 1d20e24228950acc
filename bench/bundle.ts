/**
 * Processor bundle size and module load time: bundle the Kinesis processor entry for the clickstream pipeline with
 * esbuild exactly as the CDK app does (lib/pipeline-processor.ts: ESM, minified, target node24, AWS SDK bundled,
 * the createRequire banner; the source map is written beside it and not counted), then time `import()` of the bundle
 * in fresh node processes (the cold-start share spent loading code; the handler is built at module scope).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { PROJECT_ROOT, writeProcessorEntry } from '../lib/processor-entry';
import type { BenchContext, BenchFigures, BenchTarget } from './target';

const run = promisify(execFile);

/** Figures of the bundle benchmark. */
export interface BundleFigures extends BenchFigures {
  /** Bytes of the minified processor bundle (index.mjs, without its source map). */
  readonly processorBytes: number;
  /** Median time to `import()` the bundle in a fresh node process, ms. */
  readonly initMs: number;
  readonly initRunsMs: number[];
  readonly sourceMapBytes: number;
  readonly workload: {
    readonly pipeline: string;
    readonly source: string;
    readonly runs: number;
    readonly node: string;
  };
}

/** Load the bundle in a fresh process and print how long `import()` took. */
const LOADER = `
const started = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - started));
`;

/** Run the bundle benchmark. */
export async function runBundleBench(runs = 7, log: (text: string) => void = () => {}): Promise<BundleFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'streamfold-bundle-'));
  try {
    const entry = writeProcessorEntry({
      definition: { path: join(PROJECT_ROOT, 'pipelines/clickstream.ts') },
      source: 'kinesis',
      outDir: dir,
    });
    const outfile = join(dir, 'index.mjs');
    log('bundle: esbuild (ESM, minified, node24, AWS SDK bundled)...');
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      external: [],
      banner: {
        js: "import { createRequire as __sfCreateRequire } from 'node:module';const require = __sfCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
    });
    const [bundle, map] = await Promise.all([stat(outfile), stat(`${outfile}.map`)]);
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LOADER, outfile], {
        env: {
          ...process.env,
          STREAMFOLD_STATE_TABLE: 'bench-state',
          STREAMFOLD_DEDUPE_TABLE: 'bench-dedupe',
          AWS_REGION: 'us-east-1',
          POWERTOOLS_METRICS_DISABLED: 'true',
        },
      });
      times.push(Math.round(Number(stdout) * 10) / 10);
    }
    const sorted = [...times].sort((a, b) => a - b);
    log(`bundle: ${bundle.size} bytes, import ${sorted.join(', ')} ms`);
    return {
      processorBytes: bundle.size,
      initMs: sorted[Math.floor(sorted.length / 2)]!,
      initRunsMs: times,
      sourceMapBytes: map.size,
      workload: { pipeline: 'clickstream', source: 'kinesis', runs, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The `bundle` benchmark target. */
export const bundle: BenchTarget = {
  name: 'bundle',
  description: 'processor bundle size (esbuild as the CDK app bundles it) and import() time in a fresh node process',
  run: (context: BenchContext) => runBundleBench(context.quick ? 2 : 7, context.log),
};
