import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { looksLikePipeline, type Pipeline } from '../../core';
import { PipelineLoadError } from './errors';

export { looksLikePipeline };

/** The pipeline file used when `--pipeline` is not given (relative to the working directory). */
export const DEFAULT_PIPELINE_FILE = 'pipelines/clickstream.ts';

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
 * that looks like a pipeline. Every failure is a {@link PipelineLoadError} naming the file (and, for a
 * `DefinitionError`, the setting).
 *
 * @example const { pipeline } = await loadPipeline('pipelines/clickstream.ts');
 */
export async function loadPipeline(file: string = DEFAULT_PIPELINE_FILE, cwd = process.cwd()): Promise<LoadedPipeline> {
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
