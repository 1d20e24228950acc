import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { looksLikePipeline, type Pipeline } from '../../core';
import { pipelineFiles } from '../../lib/pipeline-files';
import { PipelineLoadError } from './errors';

export { looksLikePipeline };

/** Where the pipeline file is looked for when `--pipeline` is not given (relative to the working directory). */
export const PIPELINES_DIR = 'pipelines';

/** Help of the `--pipeline` option of every command that loads a pipeline. */
export const PIPELINE_OPTION_HELP = `pipeline definition file (default: the only one in ${PIPELINES_DIR}/)`;

/**
 * The pipeline file when none is given: the only module in `pipelines/` under `cwd`.
 * @throws PipelineLoadError when the folder holds none, or several (then `--pipeline` must choose).
 */
export function defaultPipelineFile(cwd: string): string {
  const dir = join(cwd, PIPELINES_DIR);
  const files = existsSync(dir) ? pipelineFiles(dir).map((f) => relative(cwd, f)) : [];
  if (files.length === 1) return files[0]!;
  throw new PipelineLoadError(
    PIPELINES_DIR,
    files.length === 0
      ? `no pipeline file given and none in ${dir}: give one with --pipeline <file.ts>`
      : `no pipeline file given and ${files.length} in ${PIPELINES_DIR}/ (${files.join(', ')}): choose one with --pipeline <file.ts>`,
  );
}

/** A pipeline loaded from a file, with where it came from. */
export interface LoadedPipeline {
  readonly pipeline: Pipeline;
  /** Absolute path of the file. */
  readonly path: string;
  /** The export it was taken from (`default` or a named export). */
  readonly exportName: string;
}

/**
 * Import a pipeline definition file (TypeScript through tsx) and take its default export, or else its first export
 * that looks like a pipeline. Without a file, the only one in `pipelines/` (see {@link defaultPipelineFile}). Every
 * failure is a {@link PipelineLoadError} naming the file (and, for a `DefinitionError`, the setting).
 *
 * @example const { pipeline } = await loadPipeline('pipelines/clickstream.ts');
 */
export async function loadPipeline(given?: string, cwd = process.cwd()): Promise<LoadedPipeline> {
  const file = given ?? defaultPipelineFile(cwd);
  const path = resolve(cwd, file);
  const shown = relative(cwd, path) || path;
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new PipelineLoadError(file, `pipeline file not found: ${shown} (--pipeline ${JSON.stringify(file)})`);
  }
  if (!isFile) throw new PipelineLoadError(file, `pipeline path is not a file: ${shown} (--pipeline)`);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const e = error as { name?: string; message?: string; setting?: unknown };
    if (e?.name === 'DefinitionError') {
      const setting = typeof e.setting === 'string' ? e.setting : undefined;
      throw new PipelineLoadError(file, `invalid pipeline definition in ${shown}: ${e.message}`, {
        cause: error,
        setting,
      });
    }
    throw new PipelineLoadError(file, `could not load pipeline file ${shown}: ${e?.message ?? String(error)}`, {
      cause: error,
    });
  }
  if (looksLikePipeline(module.default)) return { pipeline: module.default, path, exportName: 'default' };
  for (const [name, value] of Object.entries(module)) {
    if (looksLikePipeline(value)) return { pipeline: value, path, exportName: name };
  }
  const names = Object.keys(module).sort();
  throw new PipelineLoadError(
    file,
    `${shown} exports no pipeline (exports: ${names.length ? names.join(', ') : 'none'}): export the result of definePipeline(...) as default`,
  );
}
