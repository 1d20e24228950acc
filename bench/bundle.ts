/**
 * Processor bundle size and module load time: bundle the Kinesis processor entry for the clickstream pipeline with
 * esbuild exactly as the CDK app does (the options of lib/processor-entry.ts HANDLER_BUNDLING: ESM, minified, target
 * node24, AWS SDK bundled, the createRequire banner, the bundling tsconfig; the source map is written beside it and
 * not counted), then time `import()` of the bundle in fresh node processes (the cold-start share spent loading code;
 * the handler is built at module scope), in wall time and in CPU time (steadier on a busy machine).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { HANDLER_BUNDLING, PROJECT_ROOT, writeProcessorEntry } from '../lib/processor-entry';
import type { BenchContext, BenchFigures, BenchTarget } from './target';

const run = promisify(execFile);

/** Figures of the bundle benchmark. */
export interface BundleFigures extends BenchFigures {
  /** Bytes of the minified processor bundle (index.mjs, without its source map). */
  readonly processorBytes: number;
  /** Median time to `import()` the bundle in a fresh node process, ms. */
  readonly initMs: number;
  readonly initRunsMs: number[];
  /** Median CPU time (user + system) of that `import()`, ms. */
  readonly initCpuMs: number;
  /** Bytes of the bundle per package (node_modules) or source folder, largest first (the ten largest). */
  readonly largestInputs: Record<string, number>;
  readonly sourceMapBytes: number;
  readonly workload: {
    readonly pipeline: string;
    readonly source: string;
    readonly runs: number;
    readonly node: string;
  };
}

/** Load the bundle in a fresh process and print how long `import()` took: wall and CPU ms. */
const LOADER = `
const started = performance.now();
const cpu = process.cpuUsage();
await import(process.argv[1]);
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify([performance.now() - started, (used.user + used.system) / 1000]));
`;

/**
 * The esbuild options NodejsFunction derives from these bundling options (the fields HANDLER_BUNDLING sets; any
 * other field fails, so the benchmark never silently bundles differently from the CDK app).
 */
export function esbuildOptionsOf(bundling: BundlingOptions): BuildOptions {
  const known = new Set([
    'format',
    'target',
    'minify',
    'sourceMap',
    'sourcesContent',
    'mainFields',
    'externalModules',
    'tsconfig',
    'esbuildArgs',
    'banner',
    'forceDockerBundling',
  ]);
  const unknown = Object.keys(bundling).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`bench/bundle.ts does not map bundling option(s) ${unknown.join(', ')}`);
  const alias: Record<string, string> = {};
  for (const [arg, value] of Object.entries(bundling.esbuildArgs ?? {})) {
    const name = /^--alias:(.+)$/.exec(arg)?.[1];
    if (name === undefined || typeof value !== 'string') {
      throw new Error(`bench/bundle.ts does not map esbuild argument ${arg}=${String(value)}`);
    }
    alias[name] = value;
  }
  return {
    format: bundling.format === 'cjs' ? 'cjs' : 'esm',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    mainFields: bundling.mainFields,
    external: bundling.externalModules,
    tsconfig: bundling.tsconfig,
    alias,
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
  };
}

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
    log('bundle: esbuild with HANDLER_BUNDLING (ESM, minified, node24, AWS SDK bundled, bundling tsconfig)...');
    const result = await build({
      ...esbuildOptionsOf(HANDLER_BUNDLING),
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      metafile: true,
      logLevel: 'silent',
    });
    const [bundle, map] = await Promise.all([stat(outfile), stat(`${outfile}.map`)]);
    const times: number[] = [];
    const cpuTimes: number[] = [];
    for (let i = 0; i < runs; i++) {
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', LOADER, outfile], {
        env: {
          ...process.env,
          STREAMFOLD_STATE_TABLE: 'bench-state',
          STREAMFOLD_DEDUPE_TABLE: 'bench-dedupe',
          AWS_REGION: 'us-east-1',
          POWERTOOLS_METRICS_DISABLED: 'true',
          NODE_NO_WARNINGS: '1',
        },
      });
      const [wall, cpu] = JSON.parse(stdout) as [number, number];
      times.push(Math.round(wall * 10) / 10);
      cpuTimes.push(Math.round(cpu * 10) / 10);
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    log(`bundle: ${bundle.size} bytes, import ${times.join(', ')} ms (cpu ${cpuTimes.join(', ')} ms)`);
    return {
      processorBytes: bundle.size,
      initMs: median(times),
      initRunsMs: times,
      initCpuMs: median(cpuTimes),
      largestInputs: largestInputs(result.metafile),
      sourceMapBytes: map.size,
      workload: { pipeline: 'clickstream', source: 'kinesis', runs, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Output bytes per package (node_modules/<package>) or per source folder, the ten largest. */
function largestInputs(metafile: Metafile): Record<string, number> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint !== undefined);
  const bytes = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    const key = pkg ? pkg[1]! : path.split('/').slice(0, -1).join('/') || path;
    bytes.set(key, (bytes.get(key) ?? 0) + input.bytesInOutput);
  }
  return Object.fromEntries([...bytes].sort((a, b) => b[1] - a[1]).slice(0, 10));
}

/** The `bundle` benchmark target. */
export const bundle: BenchTarget = {
  name: 'bundle',
  description: 'processor bundle size (esbuild as the CDK app bundles it) and import() time in a fresh node process',
  run: (context: BenchContext) => runBundleBench(context.quick ? 2 : 7, context.log),
};
