import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { SettingError } from '../core/errors';
import { checkDuration, checkInteger } from './validate';

/** Capacity mode of the ingestion stream. */
export type KinesisStreamMode = 'on-demand' | 'provisioned';

/** Props of {@link KinesisIngestion}. */
export interface KinesisIngestionProps {
  /** Name of the stream (see `resourceNames(pipeline).stream`). */
  readonly streamName: string;
  /**
   * Capacity mode. On-demand scales by itself and costs per GB; provisioned costs per shard-hour.
   * @default 'on-demand'
   */
  readonly streamMode?: KinesisStreamMode;
  /**
   * Shards of a provisioned stream (1,000 records/s and 1 MB/s of writes each). Only with `streamMode: 'provisioned'`.
   * @default 1
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable: 24 hours to 365 days. Longer retention allows longer replays (and costs more).
   * @default Duration.hours(24)
   */
  readonly retention?: Duration;
  /**
   * Register an enhanced fan-out consumer for the processor (~70 ms propagation, its own 2 MB/s per shard, billed per
   * consumer-shard-hour and GB).
   * @default false
   */
  readonly enhancedFanOut?: boolean;
  /**
   * What happens to the stream when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Who may assume the producer role (a role or user ARN, another account, a web identity...). The role's only
   * permissions are {@link KinesisIngestion.producerPolicy}.
   * @default - no producer role: attach the managed policy to your producers' own roles
   */
  readonly producerPrincipal?: iam.IPrincipal;
}

/**
 * Kinesis Data Streams ingestion: an encrypted stream (AWS-managed key), an optional enhanced fan-out consumer, a
 * producer policy that producers' roles attach, and a role with it for `producerPrincipal` when one is given.
 */
export class KinesisIngestion extends Construct {
  /** The ingestion stream. */
  readonly stream: kinesis.IStream;
  /** The enhanced fan-out consumer, when enabled. */
  readonly consumer?: kinesis.IStreamConsumer;
  /** Managed policy allowing PutRecord(s) on the stream: attach it to producers' roles. */
  readonly producerPolicy: iam.ManagedPolicy;
  /** A role with {@link producerPolicy} that `producerPrincipal` may assume (none without a producer principal). */
  readonly producerRole?: iam.Role;

  constructor(scope: Construct, id: string, props: KinesisIngestionProps) {
    super(scope, id);
    const mode = props.streamMode ?? 'on-demand';
    if (mode !== 'on-demand' && mode !== 'provisioned') {
      throw new SettingError('streamMode', mode, "'on-demand' or 'provisioned'");
    }
    if (props.shardCount !== undefined) {
      if (mode !== 'provisioned') {
        throw new SettingError('shardCount', props.shardCount, "no shard count with streamMode 'on-demand'");
      }
      checkInteger('shardCount', props.shardCount, 1, 10_000);
    }
    const retention = props.retention ?? Duration.hours(24);
    checkDuration('retention', retention, 'hours', { min: 24, max: 8760 }, 'from 24 hours to 8760 hours (365 days)');

    const stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: mode === 'on-demand' ? kinesis.StreamMode.ON_DEMAND : kinesis.StreamMode.PROVISIONED,
      shardCount: mode === 'provisioned' ? (props.shardCount ?? 1) : undefined,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: retention,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.stream = stream;
    if (props.enhancedFanOut) {
      this.consumer = new kinesis.StreamConsumer(this, 'Consumer', {
        stream,
        streamConsumerName: `${props.streamName}-processor`,
      });
    }

    this.producerPolicy = new iam.ManagedPolicy(this, 'ProducerPolicy', {
      description: `Lets producers write to the ${props.streamName} Kinesis stream`,
      statements: [
        new iam.PolicyStatement({
          actions: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
          resources: [stream.streamArn],
        }),
      ],
    });
    if (props.producerPrincipal) {
      this.producerRole = new iam.Role(this, 'ProducerRole', {
        assumedBy: props.producerPrincipal,
        description: `Producers of ${props.streamName}: assume this role to write events`,
        managedPolicies: [this.producerPolicy],
      });
    }
  }
}
