import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StreamfoldPipeline, type StreamfoldPipelineProps } from './streamfold-pipeline';

/** Props of {@link StreamfoldStack}: the stack's own props and the pipeline's (see {@link StreamfoldPipelineProps}). */
export interface StreamfoldStackProps extends StackProps, StreamfoldPipelineProps {}

/**
 * One pipeline's stack: a {@link StreamfoldPipeline} in a stack of its own. The construct has the id `Default`, so
 * logical ids are those of the construct's parts (the same as when the stack built them itself). The parts (stream,
 * processor, tables, emission, ...) are the construct's: `stack.pipeline.processor`.
 */
export class StreamfoldStack extends Stack {
  /** The pipeline's deployment, with its parts. */
  readonly pipeline: StreamfoldPipeline;

  constructor(scope: Construct, id: string, props: StreamfoldStackProps) {
    super(scope, id, props);
    this.pipeline = new StreamfoldPipeline(this, 'Default', props);
  }
}
