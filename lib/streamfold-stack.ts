import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ResourceNames } from '../core/names';
import type { CleanEventDelivery } from './clean-event-delivery';
import type { DataLakeBucket } from './data-lake-bucket';
import type { DataLakeCatalog } from './data-lake-catalog';
import type { Emission } from './emission';
import type { IcebergDelivery } from './iceberg-delivery';
import type { KinesisIngestion } from './kinesis-ingestion';
import type { MskIngestion } from './msk-ingestion';
import type { PipelineMonitoring } from './pipeline-monitoring';
import type { PipelineProcessor } from './pipeline-processor';
import type { RawEventDelivery } from './raw-event-delivery';
import type { RedshiftDelivery } from './redshift-delivery';
import type { SideOutputQueues } from './side-output-queues';
import type { SnowflakeDelivery } from './snowflake-delivery';
import type { StateTables } from './state-tables';
import { StreamfoldPipeline, type StreamfoldPipelineProps } from './streamfold-pipeline';
import type { TimestreamSink } from './timestream-sink';

/** Props of {@link StreamfoldStack}: the stack's own props and the pipeline's (see {@link StreamfoldPipelineProps}). */
export interface StreamfoldStackProps extends StackProps, StreamfoldPipelineProps {}

/**
 * One pipeline's stack: a {@link StreamfoldPipeline} in a stack of its own. The construct has the id `Default`, so
 * logical ids are those of the construct's parts (the same as when the stack built them itself).
 */
export class StreamfoldStack extends Stack {
  /** The pipeline's deployment. */
  readonly pipeline: StreamfoldPipeline;
  readonly names: ResourceNames;
  readonly kinesis?: KinesisIngestion;
  readonly msk?: MskIngestion;
  readonly queues: SideOutputQueues;
  readonly tables: StateTables;
  readonly processor: PipelineProcessor;
  readonly dataLake: DataLakeBucket;
  readonly catalog: DataLakeCatalog;
  /** The clean events into the data lake (`clean/`, the `events` view). */
  readonly cleanDelivery: CleanEventDelivery;
  readonly iceberg?: IcebergDelivery;
  readonly snowflake?: SnowflakeDelivery;
  readonly redshift?: RedshiftDelivery;
  readonly timestream?: TimestreamSink;
  readonly monitoring: PipelineMonitoring;
  /** Emitter (alerts and final window results to their sinks) and closer (finalizes windows when traffic stops). */
  readonly emission: Emission;
  /**
   * Key encrypting the queues, the alarm and alerts topics, the tables, the data lake bucket, the log groups and the
   * Timestream sink.
   */
  readonly key: kms.IKey;
  /** The raw copy of the stream into the data lake (`raw/`); undefined unless `rawEventDelivery`. */
  readonly rawDelivery?: RawEventDelivery;

  constructor(scope: Construct, id: string, props: StreamfoldStackProps) {
    super(scope, id, props);
    const p = new StreamfoldPipeline(this, 'Default', props);
    this.pipeline = p;
    this.names = p.names;
    this.kinesis = p.kinesis;
    this.msk = p.msk;
    this.queues = p.queues;
    this.tables = p.tables;
    this.processor = p.processor;
    this.dataLake = p.dataLake;
    this.catalog = p.catalog;
    this.cleanDelivery = p.cleanDelivery;
    this.iceberg = p.iceberg;
    this.snowflake = p.snowflake;
    this.redshift = p.redshift;
    this.timestream = p.timestream;
    this.monitoring = p.monitoring;
    this.emission = p.emission;
    this.key = p.key;
    this.rawDelivery = p.rawDelivery;
  }
}
