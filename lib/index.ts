/**
 * streamfold's CDK constructs: one pipeline's stack and its parts. Infrastructure only: nothing here imports the
 * Lambda runtime code (the processor is bundled from a generated entry file).
 */
export * from './alarm-thresholds';
export * from './clean-event-delivery';
export * from './context-settings';
export * from './data-lake-bucket';
export * from './data-lake-catalog';
export * from './definition-check';
export * from './delivery-role';
export * from './emission';
export * from './emission-monitoring';
export * from './errors';
export * from './event-schema-registry';
export * from './event-type-partitions';
export * from './firehose-source';
export * from './function-role';
export * from './glue-columns';
export * from './iceberg-delivery';
export * from './kinesis-ingestion';
export * from './log-groups';
export * from './msk-arns';
export * from './msk-ingestion';
export * from './pipeline-files';
export * from './pipeline-monitoring';
export * from './pipeline-processor';
export * from './pipeline-stacks';
export * from './processor-entry';
export * from './raw-event-delivery';
export * from './redshift-delivery';
export * from './side-output-queues';
export * from './snowflake-delivery';
export * from './state-tables';
export * from './streamfold-function';
export * from './streamfold-pipeline';
export * from './streamfold-stack';
export * from './table-grants';
export * from './timestream-sink';
export * from './validate';
