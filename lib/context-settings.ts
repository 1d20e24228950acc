import type { Node } from 'constructs';
import { type DeploySettingName, type DeploySettings, parseDeploySettings } from '../core/deploy-settings';
import { SettingError } from '../core/errors';
import { propsFromDeploySettings, type StreamfoldPipelineProps } from './streamfold-pipeline';

/** Settings of {@link StreamfoldPipelineProps} that cdk.json context (or `-c key=value`) can set. */
export type ContextSettings = Omit<
  StreamfoldPipelineProps,
  'pipeline' | 'definition' | 'definitionLock' | 'names' | 'vpc' | 'columns'
>;

/**
 * Context keys, their meaning and defaults (the README lists the same). They are the names of a definition's `deploy`
 * settings (`DeploySettings`): a context value overrides the deploy setting of the same name.
 */
export const CONTEXT_KEYS = {
  ingestion: "'kinesis' | 'msk' (default 'kinesis')",
  streamMode: "'on-demand' | 'provisioned' (default 'on-demand')",
  shardCount: 'shards of a provisioned stream (default 1)',
  streamRetentionHours: 'Kinesis retention, 24-8760 (default 24)',
  enhancedFanOut: 'read through an enhanced fan-out consumer (default false)',
  mskClusterArn: 'existing MSK cluster (default: create MSK Serverless)',
  mskTopic: "MSK topic (default '<pipeline>-events')",
  mskPartitions: 'partitions of the created topic (default 6)',
  mskMinPollers: 'minimum event pollers of the MSK mapping, provisioned mode, 1-200 (default 1)',
  mskMaxPollers: 'maximum event pollers of the MSK mapping, provisioned mode, 1-2000 (default 10)',
  producerPrincipalArn: 'IAM role/user (or account root) ARN allowed to assume the producer role (default: no role)',
  batchSize: 'records per invocation (default 500)',
  batchingWindowSeconds: 'max batching window, 0-300 (default 1)',
  parallelizationFactor: 'batches per shard, 1-10 (default 1)',
  retryAttempts: 'retries before the failed queue, 0-10000 (default 10)',
  maxRecordAgeSeconds: 'max record age, 60-604800 (default 21600)',
  expectedRecordBytes: 'typical record size for the payload check (default 1024)',
  processorMemoryMb: 'processor memory (default 1024)',
  eventTypeField: "enum field partitioning the data lake, or false for date/hour only (default 'type')",
  rawEventDelivery: 'also copy the raw stream to the data lake raw/ for forensics (default false)',
  deliveryBufferSeconds: 'Firehose buffering interval, 0-900 (default 60)',
  deliveryBufferMiB: 'Firehose buffering size, 64-128 (default 64)',
  warehouse: "where the clean events also go: 'none' | 'iceberg' | 'snowflake' | 'redshift' (default 'none')",
  snowflakeAccountUrl: 'Snowflake account URL, https://<account>.snowflakecomputing.com (warehouse snowflake)',
  snowflakeSecretArn: 'Secrets Manager secret ARN with user, private_key, key_passphrase (warehouse snowflake)',
  snowflakeDatabase: 'Snowflake database (warehouse snowflake)',
  snowflakeSchema: 'Snowflake schema (warehouse snowflake)',
  snowflakeTable: 'Snowflake table with a VARIANT column RECORD_CONTENT (warehouse snowflake)',
  snowflakeRole: "Snowflake role to load with (default: the user's default role)",
  snowflakeContentColumn: "Snowflake VARIANT column receiving each row (default 'RECORD_CONTENT')",
  redshiftJdbcUrl: 'jdbc:redshift://<endpoint>:<port>/<database> (warehouse redshift)',
  redshiftSecretArn: 'Secrets Manager secret ARN with username, password (warehouse redshift)',
  redshiftTable: 'Redshift table, schema.table (warehouse redshift)',
  redshiftCopyOptions: "COPY options (default FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS)",
  timestream: 'create the Timestream sink (default false)',
  alertsEventBus: 'also send alerts to a new EventBridge bus <pipeline>-alerts (default false)',
  schemaRegistry: "register the event schema in the Glue Schema Registry with the lock's compatibility (default false)",
  persistResults: 'persist final window results in the state table for state queries (default false)',
  closerIntervalMinutes: 'how often the closer finalizes windows when traffic stops, 1-60 (default 1)',
  idleTimeoutSeconds: 'a source idle this long no longer holds the watermark back, 1-86400 (default 60)',
  alarmEmail: 'email subscribed to the alarm topic (default none)',
  alarmThresholds: 'object (or JSON string) of AlarmThresholds (default {})',
  removalPolicy: "'retain' | 'destroy' for stateful resources (default 'retain')",
} as const satisfies Record<DeploySettingName, string>;

/** A context key. */
export type ContextKey = keyof typeof CONTEXT_KEYS;

/**
 * The deploy settings set in cdk.json context or with `-c key=value` (values from the command line arrive as strings
 * and are read as numbers, booleans or JSON), validated by the same schema as a definition's `deploy` section.
 * Unset and empty keys are left out.
 * @throws SettingError naming the key and quoting the bad value.
 */
export function deploySettingsFromContext(node: Pick<Node, 'tryGetContext'>): DeploySettings {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(CONTEXT_KEYS)) {
    const value: unknown = node.tryGetContext(key);
    if (value !== undefined && value !== null && value !== '') raw[key] = value;
  }
  return parseDeploySettings(raw, ({ setting, value, expected }) => {
    throw new SettingError(setting, value, expected);
  });
}

/**
 * Reads the stack settings from cdk.json context / `-c key=value`. Unknown values fail with the key and the bad value;
 * unset keys stay undefined, so the construct takes them from the definition's `deploy` section, else its defaults.
 */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): ContextSettings {
  return propsFromDeploySettings(deploySettingsFromContext(node));
}
