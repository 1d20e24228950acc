/**
 * Generates the tiny entry modules NodejsFunction bundles (processor, emitter, closer): each imports a handler factory
 * and the user's pipeline definition and exports `handler`. Generated at synth time because the handler must bundle
 * the definition. Also the esbuild options every streamfold function is bundled with, and the project they are
 * bundled in (the user's, found from the definition module).
 * Only paths are referenced here: lib/ never imports runtime code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { ProcessorEntryError } from './errors';

const HERE = fileURLToPath(import.meta.url);
/** `.ts` when streamfold runs from its sources (this repository), `.js` when it runs compiled (the npm package). */
const EXT = extname(HERE);

/**
 * Root of streamfold's module tree, the folder holding `lib/`, `lambdas/` and `core/`: the repository from source,
 * the package's `dist/` when installed. The generated entries import the handler factories from here.
 */
export const PROJECT_ROOT = resolve(dirname(HERE), '..');

/** Where the handler factories live, per function, and the stem of their entry files' names. */
const HANDLER_MODULES = {
  kinesis: {
    path: join(PROJECT_ROOT, `lambdas/processor/kinesis-handler${EXT}`),
    factory: 'createKinesisHandler',
    stem: 'processor-kinesis',
  },
  msk: {
    path: join(PROJECT_ROOT, `lambdas/processor/msk-handler${EXT}`),
    factory: 'createMskHandler',
    stem: 'processor-msk',
  },
  emitter: {
    path: join(PROJECT_ROOT, `lambdas/emitter/handler${EXT}`),
    factory: 'createEmitterHandler',
    stem: 'emitter',
  },
  closer: { path: join(PROJECT_ROOT, `lambdas/closer/handler${EXT}`), factory: 'createCloserHandler', stem: 'closer' },
} as const;

/** A streamfold function built from a generated entry: the processor of either source, the emitter, the closer. */
export type HandlerKind = keyof typeof HANDLER_MODULES;

/** The event source a processor reads. */
export type ProcessorSource = Extract<HandlerKind, 'kinesis' | 'msk'>;

/**
 * The tsconfig every streamfold function is bundled with: it maps the bare specifier `zod` to
 * lambdas/bundling/zod.ts, zod's API without the locales other than English (a pipeline's `import { z } from 'zod'`
 * otherwise bundles all of them: 264 KB of a 900 KB processor), maps `streamfold` (what pipelines import) to the
 * entry points beside it, so a build from the sources needs no `dist/`, and keeps the compiler options esbuild reads from the
 * project's tsconfig (class fields, imports kept as written). The npm package's copy maps it to the compiled zod.js
 * (scripts/build.ts writes it).
 */
export const BUNDLING_TSCONFIG = join(PROJECT_ROOT, 'lambdas/bundling/tsconfig.json');

/**
 * The SDK clients' default credential chain in the bundles: lambdas/bundling/aws-credentials.ts (`.js` in the npm
 * package), the environment only (where Lambda puts the role's credentials); the rest of the chain never runs in a
 * function.
 */
export const BUNDLING_CREDENTIALS = join(PROJECT_ROOT, `lambdas/bundling/aws-credentials${EXT}`);

/**
 * esbuild options of every streamfold function: ESM, minified, with source maps, and the AWS SDK v3 bundled at the
 * versions pinned in package.json instead of the runtime's copy. The banner gives CommonJS dependencies `require`;
 * {@link BUNDLING_TSCONFIG} keeps zod's unused locales out and {@link BUNDLING_CREDENTIALS} the credential sources
 * a function never uses.
 */
export const HANDLER_BUNDLING: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  externalModules: [],
  tsconfig: BUNDLING_TSCONFIG,
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': BUNDLING_CREDENTIALS },
  banner:
    "import { createRequire as __sfCreateRequire } from 'node:module';const require = __sfCreateRequire(import.meta.url);",
  forceDockerBundling: false,
};

/** Where a pipeline definition is exported from. */
export interface PipelineModule {
  /** Path of the module exporting the pipeline (absolute, or relative to the current working directory). */
  readonly path: string;
  /**
   * Name of the export holding the `Pipeline`.
   * @default 'default'
   */
  readonly exportName?: string;
}

/** Lock files NodejsFunction knows (it needs one to find the project it bundles in). */
const LOCK_FILES = ['package-lock.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock'] as const;

/** Where a pipeline's functions are bundled: NodejsFunction's `projectRoot` and `depsLockFilePath`. */
export interface BundlingProject {
  /** The project folder (esbuild runs there; the generated entries go under its `.streamfold/`). */
  readonly projectRoot: string;
  /** The project's lock file. */
  readonly depsLockFilePath: string;
}

function findLockFile(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    for (const name of LOCK_FILES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The project a pipeline's functions are bundled in: the nearest folder at or above the definition module holding a
 * lock file (the user's CDK app, or this repository), else the nearest one above the working directory.
 * @throws ProcessorEntryError when there is none (the project's dependencies were never installed).
 */
export function bundlingProject(definition: PipelineModule): BundlingProject {
  const definitionDir = dirname(resolve(definition.path));
  const lock = findLockFile(definitionDir) ?? findLockFile(process.cwd());
  if (!lock) {
    throw new ProcessorEntryError(
      `definition.path: no lock file (${LOCK_FILES.join(', ')}) in ${JSON.stringify(definitionDir)} or above, nor ` +
        `above the working directory: install the project's dependencies (npm install) before synthesizing`,
    );
  }
  return { projectRoot: dirname(lock), depsLockFilePath: lock };
}

/** Options of {@link writeProcessorEntry}. */
export interface ProcessorEntryOptions {
  readonly definition: PipelineModule;
  readonly source: ProcessorSource;
  /**
   * Folder for generated entry files.
   * @default - `.streamfold/cdk-entries` under the project the functions are bundled in (see {@link bundlingProject})
   */
  readonly outDir?: string;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** The source text of a processor's generated entry module. */
export function processorEntrySource(definitionPath: string, exportName: string, source: ProcessorSource): string {
  return handlerEntrySource(definitionPath, exportName, source);
}

/** The source text of the generated entry module of a streamfold function. */
export function handlerEntrySource(definitionPath: string, exportName: string, kind: HandlerKind): string {
  const handler = HANDLER_MODULES[kind];
  const binding = exportName === 'default' ? 'pipeline' : `{ ${exportName} as pipeline }`;
  return [
    '// Generated by streamfold at synth time (lib/processor-entry.ts). Do not edit.',
    `import { ${handler.factory} } from ${JSON.stringify(handler.path)};`,
    `import ${binding} from ${JSON.stringify(definitionPath)};`,
    '',
    `export const handler = ${handler.factory}(pipeline);`,
    '',
  ].join('\n');
}

/** Writes the entry module for a pipeline's processor and returns its absolute path (see {@link writeHandlerEntry}). */
export function writeProcessorEntry(options: ProcessorEntryOptions): string {
  return writeHandlerEntry(options.definition, options.source, options.outDir);
}

/**
 * Writes the entry module of a streamfold function for a pipeline and returns its absolute path. The file name carries
 * a hash of its content, so concurrent synths (parallel tests) never see a half-written or foreign file.
 * @param outDir - @default - `.streamfold/cdk-entries` under the project the functions are bundled in
 * @throws ProcessorEntryError when the export name is not an identifier, the module is missing or the file cannot be
 *   written.
 */
export function writeHandlerEntry(definition: PipelineModule, kind: HandlerKind, outDir?: string): string {
  const exportName = definition.exportName ?? 'default';
  if (exportName !== 'default' && !IDENTIFIER.test(exportName)) {
    throw new ProcessorEntryError(
      `definition.exportName: expected a JavaScript identifier or 'default', got ${JSON.stringify(exportName)}`,
    );
  }
  const definitionPath = resolve(definition.path);
  if (!existsSync(definitionPath)) {
    throw new ProcessorEntryError(
      `definition.path: no pipeline definition module at ${JSON.stringify(definitionPath)} (from ${JSON.stringify(definition.path)})`,
    );
  }
  const text = handlerEntrySource(definitionPath, exportName, kind);
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 12);
  const dir = outDir ?? join(bundlingProject(definition).projectRoot, '.streamfold', 'cdk-entries');
  const file = join(dir, `${HANDLER_MODULES[kind].stem}-${hash}.ts`);
  try {
    if (existsSync(file) && readFileSync(file, 'utf8') === text) return file;
    mkdirSync(dir, { recursive: true });
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, file);
  } catch (error) {
    throw new ProcessorEntryError(
      `could not write the ${kind} entry ${JSON.stringify(file)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return file;
}
