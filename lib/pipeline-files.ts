/**
 * Pipeline definition files of a CDK app: find the files of a folder and the pipelines each exports. The app imports
 * them (TypeScript through tsx, as `cdk.json`'s `app` command runs it) and bundles each into its functions by path and
 * export name.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Pipeline } from '../core/definition';
import { quote, StreamfoldError } from '../core/errors';
import { looksLikePipeline } from '../core/pipeline-shape';
import type { PipelineModule } from './processor-entry';

/** A pipeline a module exports, with where it is exported from (what the constructs' `definition` prop takes). */
export interface PipelineExport {
  readonly pipeline: Pipeline;
  readonly definition: Required<PipelineModule>;
}

/** A pipeline file does not load, exports no pipeline, or two files export pipelines of the same name. */
export class PipelineFileError extends StreamfoldError {
  override readonly name = 'PipelineFileError';
  readonly code = 'PIPELINE_FILE';
  /** The file at fault. */
  readonly file: string;
  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

const MODULE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const NOT_A_PIPELINE_FILE = /\.d\.[mc]?ts$|\.(test|spec)\.[mc]?[jt]s$/;

/** The module files directly in `dir` (TypeScript or JavaScript; no declaration or test files), sorted. */
export function pipelineFiles(dir: string | URL): string[] {
  const folder = typeof dir === 'string' ? resolve(dir) : fileURLToPath(dir);
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    throw new PipelineFileError(folder, `pipeline folder not found: ${folder}`, { cause: error });
  }
  return names
    .filter((name) => MODULE_FILE.test(name) && !NOT_A_PIPELINE_FILE.test(name))
    .map((name) => join(folder, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/**
 * The pipelines a module's exports hold, each once: a pipeline exported under a name and as `default` is taken under
 * its name.
 */
export function pipelineExports(path: string, module: Record<string, unknown>): PipelineExport[] {
  const found = new Map<Pipeline, string>();
  for (const [name, value] of Object.entries(module)) {
    if (name !== 'default' && looksLikePipeline(value) && !found.has(value)) found.set(value, name);
  }
  if (looksLikePipeline(module.default) && !found.has(module.default)) found.set(module.default, 'default');
  return [...found].map(([pipeline, exportName]) => ({ pipeline, definition: { path, exportName } }));
}

/**
 * Import every pipeline file of `dir` and return the pipelines they export.
 * @throws PipelineFileError when a file fails to load (its error is the cause), when the folder exports no pipeline,
 *   or when two exports share a pipeline name (names name AWS resources).
 */
export async function importPipelines(dir: string | URL): Promise<PipelineExport[]> {
  const files = pipelineFiles(dir);
  const all: PipelineExport[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      throw new PipelineFileError(file, `${shown}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    for (const found of pipelineExports(file, module)) {
      const other = byName.get(found.pipeline.name);
      if (other !== undefined) {
        throw new PipelineFileError(
          file,
          `${shown}: pipeline name ${quote(found.pipeline.name)} is also exported by ${other}: names must be unique (they name AWS resources)`,
        );
      }
      byName.set(found.pipeline.name, `${shown} (${found.definition.exportName})`);
      all.push(found);
    }
  }
  if (all.length === 0) {
    const folder = typeof dir === 'string' ? resolve(dir) : fileURLToPath(dir);
    throw new PipelineFileError(
      folder,
      `no pipeline exported from the ${files.length} file(s) in ${folder}: export the result of definePipeline(...) from a .ts file there`,
    );
  }
  return all;
}
