/**
 * A CDK app that deploys every pipeline of a folder, one stack each: what `bin/app.ts` of a `streamfold init` project
 * (and of this repository) calls.
 */
import { type App, type StackProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Pipeline } from '../core/definition';
import { settingsFromContext } from './context-settings';
import { importPipelines } from './pipeline-files';
import { StreamfoldStack } from './streamfold-stack';

/** Options of {@link addPipelineStacks}. */
export interface PipelineStacksOptions {
  /**
   * Folder of the pipeline files (every `.ts`/`.js` module directly in it, test and declaration files aside).
   * @default 'pipelines' (relative to the working directory: the CDK app's folder)
   */
  readonly dir?: string | URL;
  /**
   * Stack id (and name) of a pipeline's stack.
   * @default - `streamfold-<pipeline name>`
   */
  readonly stackId?: (pipeline: Pipeline) => string;
  /**
   * Props given to every stack (environment, tags, termination protection...).
   * @default - none: environment-agnostic stacks
   */
  readonly stackProps?: StackProps;
  /**
   * Run cdk-nag's AwsSolutions pack on every synth (the stacks acknowledge each finding they keep, with its reason).
   * @default true
   */
  readonly nag?: boolean;
}

/**
 * Imports every pipeline file of `options.dir` and adds one {@link StreamfoldStack} per exported pipeline to `app`,
 * with settings from the pipeline's `deploy` section, overridden by cdk.json context / `-c key=value`.
 *
 * @example
 * const app = new App();
 * await addPipelineStacks(app, { dir: new URL('../pipelines/', import.meta.url) });
 * app.synth();
 */
export async function addPipelineStacks(app: App, options: PipelineStacksOptions = {}): Promise<StreamfoldStack[]> {
  const found = await importPipelines(options.dir ?? 'pipelines');
  const context = settingsFromContext(app.node);
  const stacks = found.map(({ pipeline, definition }) => {
    const id = options.stackId?.(pipeline) ?? `streamfold-${pipeline.name}`;
    return new StreamfoldStack(app, id, {
      description: `streamfold pipeline ${pipeline.name}`,
      ...options.stackProps,
      pipeline,
      definition,
      ...context,
    });
  });
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stacks;
}
