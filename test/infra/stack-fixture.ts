/**
 * Shared synth for the infra tests: builds the reference pipeline's stack with the given props, runs cdk-nag's
 * AwsSolutions pack over it, and returns the template. Bundling (esbuild) is off unless asked for: it is the slow
 * part, and one test file proves it works.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import { Annotations, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StreamfoldStack, type StreamfoldStackProps } from '../../lib';
import { clickstream } from '../../pipelines/clickstream';

/** Path of the reference pipeline's module. */
export const CLICKSTREAM_PATH = fileURLToPath(new URL('../../pipelines/clickstream.ts', import.meta.url));

/** The props every test stack gets. */
export const BASE_PROPS: StreamfoldStackProps = {
  pipeline: clickstream,
  definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' },
};

/**
 * The props of a test stack: another pipeline than the reference one (built with the reference module's path) has
 * no lock file of its own, so its stack skips the definition lock check (test/infra/definition-lock.test.ts checks it).
 */
function withLock(props: Partial<StreamfoldStackProps>): StreamfoldStackProps {
  const other = props.pipeline !== undefined && props.pipeline !== clickstream && props.definitionLock === undefined;
  return { ...BASE_PROPS, ...(other ? { definitionLock: false } : {}), ...props };
}

/** One synthesized variant. */
export interface Synthesized {
  readonly app: App;
  readonly stack: StreamfoldStack;
  readonly template: Template;
  readonly annotations: Annotations;
  /** cdk-nag AwsSolutions report over the whole app. */
  readonly nag: PolicyValidationPluginReport;
  /** The cloud assembly folder. */
  readonly outdir: string;
}

/** Builds and synthesizes a stack of the reference pipeline with `props` on top of {@link BASE_PROPS}. */
export function synthStack(
  props: Partial<StreamfoldStackProps> = {},
  options: { bundle?: boolean; cfnValidation?: boolean } = {},
): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'streamfold-infra-'));
  const app = new App({
    outdir,
    // The built-in CloudFormation schema validation is slow (seconds per synth): the default-stack test keeps it.
    builtinCloudFormationValidation: options.cfnValidation ?? false,
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new StreamfoldStack(app, 'test-stack', withLock(props));
  const template = Template.fromStack(stack);
  const nag = new AwsSolutionsChecks(app).validateScope(app);
  return { app, stack, template, annotations: Annotations.fromStack(stack), nag, outdir };
}

/** Builds the stack without synthesizing (for "fails if" tests: validation runs in the constructors). */
export function buildStack(props: Partial<StreamfoldStackProps>): StreamfoldStack {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  return new StreamfoldStack(app, 'test-stack', withLock(props));
}

/** Template resources of `type`, as [logicalId, resource] pairs. */
export function resourcesOf(template: Template, type: string): [string, { Properties: Record<string, any> }][] {
  return Object.entries(template.findResources(type)) as [string, { Properties: Record<string, any> }][];
}

/** Logical id of the only resource of `type` whose properties match `predicate`. */
export function logicalIdOf(
  template: Template,
  type: string,
  predicate: (properties: Record<string, any>) => boolean = () => true,
): string {
  const found = resourcesOf(template, type).filter(([, r]) => predicate(r.Properties ?? {}));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0]![0];
}
