import type { Duration } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Construct } from 'constructs';
import { METRIC_NAMESPACE } from '../core/contract';
import { functionRole } from './function-role';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { acknowledgeWildcardActions } from './nag-acknowledgements';
import {
  bundlingProject,
  HANDLER_BUNDLING,
  type HandlerKind,
  type PipelineModule,
  writeHandlerEntry,
} from './processor-entry';

/** Props of {@link StreamfoldFunction}. */
export interface StreamfoldFunctionProps {
  /** Name of the pipeline the function serves (descriptions, Powertools service name). */
  readonly pipelineName: string;
  /** Module exporting the pipeline definition: bundled into the function. */
  readonly definition: PipelineModule;
  /** Which handler the generated entry file imports (`kinesis` and `msk` are the processor's). */
  readonly handler: HandlerKind;
  /** What the function is: its log group is `<namePrefix><component>`, its descriptions say `streamfold <component>`. */
  readonly component: 'processor' | 'emitter' | 'closer';
  /**
   * Function description.
   * @default - `streamfold <component> of pipeline <pipelineName>`
   */
  readonly description?: string;
  /** Function memory, MB (also buys CPU). */
  readonly memorySize: number;
  /** Function timeout. */
  readonly timeout: Duration;
  /**
   * The function's own environment variables; the Powertools service name and metric namespace and
   * `NODE_OPTIONS=--enable-source-maps` are added.
   */
  readonly environment: Record<string, string>;
  /**
   * Log group of the function (name prefix, key, removal policy).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
  /**
   * Construct ids of the log group and the role are `<siblingIdPrefix>Logs` and `<siblingIdPrefix>Role`.
   * @default - the function's id
   */
  readonly siblingIdPrefix?: string;
  /**
   * Folder for the generated entry file.
   * @default - `.streamfold/cdk-entries` under the project root
   */
  readonly entryDir?: string;
}

/**
 * A streamfold function: a NodejsFunction bundling one handler with the pipeline definition (esbuild, minified, ARM64,
 * Node.js 24, JSON logs, AWS SDK v3 bundled at the pinned versions), its own log group, and an execution role that may
 * write that log group and nothing else ({@link functionRole}); the construct that owns the function grants the rest.
 * The log group and the role are created beside the function (in the same scope, ids `<siblingIdPrefix>Logs` and
 * `<siblingIdPrefix>Role`), so their logical ids are those they had before this construct existed.
 */
export class StreamfoldFunction extends nodejs.NodejsFunction {
  /** The execution role (writes its own log group; grants add the rest). */
  readonly executionRole: iam.Role;

  constructor(scope: Construct, id: string, props: StreamfoldFunctionProps) {
    const entry = writeHandlerEntry(props.definition, props.handler, props.entryDir);
    const siblings = props.siblingIdPrefix ?? id;
    const logGroup = createLogGroup(scope, `${siblings}Logs`, props.component, props.logGroups);
    const role = functionRole(
      scope,
      `${siblings}Role`,
      logGroup,
      `streamfold ${props.component} of ${props.pipelineName}`,
    );
    super(scope, id, {
      description: props.description ?? `streamfold ${props.component} of pipeline ${props.pipelineName}`,
      entry,
      handler: 'handler',
      ...bundlingProject(props.definition),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      logGroup,
      role,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: `streamfold-${props.pipelineName}`,
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: HANDLER_BUNDLING,
    });
    this.executionRole = role;
    acknowledgeWildcardActions(
      role,
      ['kms:GenerateDataKey*', 'kms:ReEncrypt*'],
      'Added by the grants on KMS-encrypted resources (queues, topics, tables with a customer-managed key); each ' +
        'statement names the key of those resources.',
    );
  }
}
