import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Node } from 'constructs';
import type { AlarmThresholds } from './alarm-thresholds';
import { DEFAULT_ALARM_THRESHOLDS } from './alarm-thresholds';
import { InvalidSettingError } from './errors';
import type { RedshiftSettings } from './redshift-delivery';
import type { SnowflakeSettings } from './snowflake-delivery';
import type { StreamfoldStackProps } from './streamfold-stack';

/** Settings of {@link StreamfoldStackProps} that cdk.json context (or `-c key=value`) can set. */
export type ContextSettings = Omit<
  StreamfoldStackProps,
  'pipeline' | 'definition' | 'definitionLock' | 'names' | 'vpc' | 'columns'
>;

/** Context keys, their meaning and defaults (the README lists the same). */
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
} as const;

/** A context key. */
export type ContextKey = keyof typeof CONTEXT_KEYS;

type Reader = { get(key: ContextKey): unknown };

function text(r: Reader, key: ContextKey): string | undefined {
  const v = r.get(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidSettingError(key, v, 'a string');
  return v;
}

function num(r: Reader, key: ContextKey): number | undefined {
  const v = r.get(key);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) throw new InvalidSettingError(key, v, 'a number');
  return n;
}

function bool(r: Reader, key: ContextKey): boolean | undefined {
  const v = r.get(key);
  if (v === undefined || v === null || v === '') return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new InvalidSettingError(key, v, 'true or false');
}

function oneOf<T extends string>(r: Reader, key: ContextKey, allowed: readonly T[]): T | undefined {
  const v = text(r, key);
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new InvalidSettingError(key, v, allowed.map((a) => `'${a}'`).join(' or '));
  }
  return v as T;
}

function thresholds(r: Reader): AlarmThresholds | undefined {
  let v = r.get('alarmThresholds');
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (error) {
      throw new InvalidSettingError('alarmThresholds', v, 'a JSON object of thresholds', { cause: error });
    }
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidSettingError('alarmThresholds', v, 'an object of thresholds');
  }
  for (const name of Object.keys(v)) {
    if (!(name in DEFAULT_ALARM_THRESHOLDS)) {
      throw new InvalidSettingError(
        `alarmThresholds.${name}`,
        name,
        `one of ${Object.keys(DEFAULT_ALARM_THRESHOLDS).join(', ')}`,
      );
    }
  }
  return v as AlarmThresholds;
}

/** The field name, or false (JSON false, or the string 'false' from the command line). */
function fieldOrFalse(r: Reader, key: ContextKey): string | false | undefined {
  const v = r.get(key);
  if (v === false || v === 'false') return false;
  return text(r, key);
}

const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;

function principal(r: Reader, key: ContextKey): iam.IPrincipal | undefined {
  const arn = text(r, key);
  if (arn === undefined) return undefined;
  if (!PRINCIPAL_ARN.test(arn)) {
    throw new InvalidSettingError(key, arn, 'an IAM role or user ARN, or arn:aws:iam::<account>:root');
  }
  return new iam.ArnPrincipal(arn);
}

function pollers(r: Reader): { minimum?: number; maximum?: number } | undefined {
  const minimum = num(r, 'mskMinPollers');
  const maximum = num(r, 'mskMaxPollers');
  return minimum === undefined && maximum === undefined ? undefined : { minimum, maximum };
}

function duration(r: Reader, key: ContextKey, unit: 'seconds' | 'minutes' | 'hours'): Duration | undefined {
  const n = num(r, key);
  if (n === undefined) return undefined;
  // Duration throws a generic error on negative amounts: fail here with the key and the value instead.
  if (n < 0) throw new InvalidSettingError(key, r.get(key), 'a number ≥ 0');
  return Duration[unit](n);
}

/** The Snowflake settings when any `snowflake*` key is set (the stack validates them). */
function snowflake(r: Reader): SnowflakeSettings | undefined {
  const v = {
    accountUrl: text(r, 'snowflakeAccountUrl'),
    secretArn: text(r, 'snowflakeSecretArn'),
    database: text(r, 'snowflakeDatabase'),
    schema: text(r, 'snowflakeSchema'),
    table: text(r, 'snowflakeTable'),
    role: text(r, 'snowflakeRole'),
    contentColumn: text(r, 'snowflakeContentColumn'),
  };
  if (Object.values(v).every((x) => x === undefined)) return undefined;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as unknown as SnowflakeSettings;
}

/** The Redshift settings when any `redshift*` key is set (the stack validates them). */
function redshift(r: Reader): RedshiftSettings | undefined {
  const v = {
    jdbcUrl: text(r, 'redshiftJdbcUrl'),
    secretArn: text(r, 'redshiftSecretArn'),
    table: text(r, 'redshiftTable'),
    copyOptions: text(r, 'redshiftCopyOptions'),
  };
  if (Object.values(v).every((x) => x === undefined)) return undefined;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined)) as unknown as RedshiftSettings;
}

/**
 * Reads the stack settings from cdk.json context / `-c key=value` (values from the command line arrive as strings
 * and are parsed). Unknown values fail with the key and the bad value; unset keys keep the construct defaults.
 */
export function settingsFromContext(node: Pick<Node, 'tryGetContext'>): ContextSettings {
  const r: Reader = { get: (key) => node.tryGetContext(key) };
  const removal = oneOf(r, 'removalPolicy', ['retain', 'destroy'] as const);
  return {
    ingestion: oneOf(r, 'ingestion', ['kinesis', 'msk'] as const),
    streamMode: oneOf(r, 'streamMode', ['on-demand', 'provisioned'] as const),
    shardCount: num(r, 'shardCount'),
    streamRetention: duration(r, 'streamRetentionHours', 'hours'),
    enhancedFanOut: bool(r, 'enhancedFanOut'),
    mskClusterArn: text(r, 'mskClusterArn'),
    mskTopic: text(r, 'mskTopic'),
    mskPartitions: num(r, 'mskPartitions'),
    mskPollers: pollers(r),
    producerPrincipal: principal(r, 'producerPrincipalArn'),
    batchSize: num(r, 'batchSize'),
    maxBatchingWindow: duration(r, 'batchingWindowSeconds', 'seconds'),
    parallelizationFactor: num(r, 'parallelizationFactor'),
    retryAttempts: num(r, 'retryAttempts'),
    maxRecordAge: duration(r, 'maxRecordAgeSeconds', 'seconds'),
    expectedRecordBytes: num(r, 'expectedRecordBytes'),
    processorMemoryMb: num(r, 'processorMemoryMb'),
    eventTypeField: fieldOrFalse(r, 'eventTypeField'),
    rawEventDelivery: bool(r, 'rawEventDelivery'),
    deliveryBufferingInterval: duration(r, 'deliveryBufferSeconds', 'seconds'),
    deliveryBufferingSizeMiB: num(r, 'deliveryBufferMiB'),
    warehouse: oneOf(r, 'warehouse', ['none', 'iceberg', 'redshift', 'snowflake'] as const),
    snowflake: snowflake(r),
    redshift: redshift(r),
    timestream: bool(r, 'timestream'),
    alertsEventBus: bool(r, 'alertsEventBus'),
    schemaRegistry: bool(r, 'schemaRegistry'),
    persistResults: bool(r, 'persistResults'),
    closerInterval: duration(r, 'closerIntervalMinutes', 'minutes'),
    idleTimeout: duration(r, 'idleTimeoutSeconds', 'seconds'),
    alarmEmail: text(r, 'alarmEmail'),
    alarmThresholds: thresholds(r),
    removalPolicy:
      removal === undefined ? undefined : removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };
}
