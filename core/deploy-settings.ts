/**
 * A pipeline's deploy settings: what the CDK constructs need to know about one pipeline besides its definition
 * (ingestion, batch size, data lake partition field, warehouse, alarm thresholds...). They are declared beside the
 * definition (`definePipeline({ ..., deploy: { ... } })`), and cdk.json context (or `-c key=value`) overrides them key
 * by key; both are read with the same names and validated by the one schema below.
 */
import { z } from 'zod';
import { type AlarmThresholds, DEFAULT_ALARM_THRESHOLDS } from './alarm-thresholds';
import { DefinitionError, quote } from './errors';

/**
 * Deploy settings of one pipeline (the `deploy` section of a definition). Each has the name of the cdk.json context
 * key that overrides it; unset settings keep the constructs' defaults. Ranges (AWS limits) are checked by the
 * constructs at synth.
 */
export interface DeploySettings {
  /** Event source. @default 'kinesis' */
  readonly ingestion?: 'kinesis' | 'msk';
  /** Kinesis capacity mode. @default 'on-demand' */
  readonly streamMode?: 'on-demand' | 'provisioned';
  /** Shards of a provisioned stream. @default 1 */
  readonly shardCount?: number;
  /** Kinesis retention, hours (24-8760). @default 24 */
  readonly streamRetentionHours?: number;
  /** Read the stream through an enhanced fan-out consumer. @default false */
  readonly enhancedFanOut?: boolean;
  /** Existing MSK cluster (IAM auth) to read. @default - an MSK Serverless cluster is created */
  readonly mskClusterArn?: string;
  /** MSK topic. @default - `<pipeline>-events` */
  readonly mskTopic?: string;
  /** Partitions of the created MSK topic. @default 6 */
  readonly mskPartitions?: number;
  /** Minimum event pollers of the MSK event source mapping (provisioned mode, 1-200). @default 1 */
  readonly mskMinPollers?: number;
  /** Maximum event pollers of the MSK event source mapping (provisioned mode, 1-2000). @default 10 */
  readonly mskMaxPollers?: number;
  /**
   * IAM role or user ARN (or `arn:aws:iam::<account>:root`) allowed to assume the producer role, whose only
   * permissions are writing the stream or topic.
   * @default - no producer role: attach the producer managed policy (output `ProducerPolicyArn`) to your producers
   */
  readonly producerPrincipalArn?: string;
  /** Records per processor invocation (1-10000). @default 500 */
  readonly batchSize?: number;
  /** How long Lambda gathers records before invoking, seconds (0-300). @default 1 */
  readonly batchingWindowSeconds?: number;
  /** Concurrent batches per Kinesis shard (1-10; above 1 only when the key is the partition key). @default 1 */
  readonly parallelizationFactor?: number;
  /** Retries of a failing batch before it goes to the failed queue (0-10000). @default 10 */
  readonly retryAttempts?: number;
  /** Records older than this go to the failed queue, seconds (60-604800). @default 21600 */
  readonly maxRecordAgeSeconds?: number;
  /** Typical record size, bytes, for the 6 MB payload check. @default 1024 */
  readonly expectedRecordBytes?: number;
  /** Processor memory, MB (128-10240). @default 1024 */
  readonly processorMemoryMb?: number;
  /**
   * Top-level enum field of the events partitioning the data lake (`event_type=`), or `false` for date and hour only.
   * @default 'type'
   */
  readonly eventTypeField?: string | false;
  /** Also copy the raw stream to the data lake's `raw/` for forensics. @default false */
  readonly rawEventDelivery?: boolean;
  /** Firehose buffering interval, seconds (0-900). @default 60 */
  readonly deliveryBufferSeconds?: number;
  /** Firehose buffering size, MiB (64-128). @default 64 */
  readonly deliveryBufferMiB?: number;
  /** Where the clean events also go, besides the data lake's `events` view. @default 'none' */
  readonly warehouse?: 'none' | 'iceberg' | 'redshift' | 'snowflake';
  /** Snowflake account URL, `https://<account>.snowflakecomputing.com` (warehouse `'snowflake'`). */
  readonly snowflakeAccountUrl?: string;
  /** Secrets Manager secret ARN with `user`, `private_key`, `key_passphrase` (warehouse `'snowflake'`). */
  readonly snowflakeSecretArn?: string;
  /** Snowflake database (warehouse `'snowflake'`). */
  readonly snowflakeDatabase?: string;
  /** Snowflake schema (warehouse `'snowflake'`). */
  readonly snowflakeSchema?: string;
  /** Snowflake table with a VARIANT column receiving each row (warehouse `'snowflake'`). */
  readonly snowflakeTable?: string;
  /** Snowflake role to load with. @default - the user's default role */
  readonly snowflakeRole?: string;
  /** Snowflake VARIANT column receiving each row. @default 'RECORD_CONTENT' */
  readonly snowflakeContentColumn?: string;
  /** `jdbc:redshift://<endpoint>:<port>/<database>` (warehouse `'redshift'`). */
  readonly redshiftJdbcUrl?: string;
  /** Secrets Manager secret ARN with `username`, `password` (warehouse `'redshift'`). */
  readonly redshiftSecretArn?: string;
  /** Redshift table, `schema.table` (warehouse `'redshift'`). */
  readonly redshiftTable?: string;
  /** COPY options. @default "FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS" */
  readonly redshiftCopyOptions?: string;
  /** Create the Timestream for LiveAnalytics sink (closed to new AWS customers). @default false */
  readonly timestream?: boolean;
  /** Also send alerts to a new EventBridge bus `<pipeline>-alerts`. @default false */
  readonly alertsEventBus?: boolean;
  /** Register the event schema in the Glue Schema Registry with the lock's compatibility mode. @default false */
  readonly schemaRegistry?: boolean;
  /** Persist final window results in the state table for state queries. @default false */
  readonly persistResults?: boolean;
  /** How often the closer finalizes windows when traffic stops, minutes (1-60). @default 1 */
  readonly closerIntervalMinutes?: number;
  /** A source idle this long no longer holds the watermark back, seconds (1-86400). @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Email subscribed to the alarm topic. @default - no subscription */
  readonly alarmEmail?: string;
  /** Alarm thresholds (those not given keep their defaults). @default - DEFAULT_ALARM_THRESHOLDS */
  readonly alarmThresholds?: AlarmThresholds;
  /** Removal policy of the stateful resources. @default 'retain' */
  readonly removalPolicy?: 'retain' | 'destroy';
}

/** The name of a deploy setting (and of the cdk.json context key that overrides it). */
export type DeploySettingName = keyof DeploySettings;

/** Command-line context values arrive as strings: read a number-like string as the number. */
const numberFromText = (v: unknown) =>
  typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
/** `'true'` / `'false'` (command line) as booleans. */
const booleanFromText = (v: unknown) => (v === 'true' ? true : v === 'false' ? false : v);

const text = () => z.string({ error: 'a string' });
const number = () => z.preprocess(numberFromText, z.number({ error: 'a number' }).finite({ error: 'a number' }));
/** A non-negative amount of a time unit (the unit is in the setting's name). */
const amount = () =>
  z.preprocess(
    numberFromText,
    z.number({ error: 'a number' }).finite({ error: 'a number' }).min(0, { error: 'a number ≥ 0' }),
  );
const flag = () => z.preprocess(booleanFromText, z.boolean({ error: 'true or false' }));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: values.map((v) => `'${v}'`).join(' or ') });
/** A field name, or `false` (JSON false, or `'false'` from the command line). */
const fieldOrFalse = () =>
  z.preprocess((v) => (v === 'false' ? false : v), z.union([z.literal(false), z.string()], { error: 'a string' }));

/** An IAM role or user ARN, or an account's root. */
const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/;
const principalArn = () =>
  text().regex(PRINCIPAL_ARN, { error: 'an IAM role or user ARN, or arn:aws:iam::<account>:root' });

const THRESHOLD_NAMES = Object.keys(DEFAULT_ALARM_THRESHOLDS);
const thresholds = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z.strictObject(
    Object.fromEntries(THRESHOLD_NAMES.map((name) => [name, amount().optional()])) as Record<
      keyof AlarmThresholds,
      z.ZodOptional<ReturnType<typeof amount>>
    >,
    {
      error: (issue) => (typeof issue.input === 'string' ? 'a JSON object of thresholds' : 'an object of thresholds'),
    },
  ),
);

/** The one schema of deploy settings: the `deploy` section of a definition and the cdk.json context alike. */
export const DEPLOY_SETTINGS_SCHEMA = z.strictObject({
  ingestion: oneOf(['kinesis', 'msk']).optional(),
  streamMode: oneOf(['on-demand', 'provisioned']).optional(),
  shardCount: number().optional(),
  streamRetentionHours: amount().optional(),
  enhancedFanOut: flag().optional(),
  mskClusterArn: text().optional(),
  mskTopic: text().optional(),
  mskPartitions: number().optional(),
  mskMinPollers: number().optional(),
  mskMaxPollers: number().optional(),
  producerPrincipalArn: principalArn().optional(),
  batchSize: number().optional(),
  batchingWindowSeconds: amount().optional(),
  parallelizationFactor: number().optional(),
  retryAttempts: number().optional(),
  maxRecordAgeSeconds: amount().optional(),
  expectedRecordBytes: number().optional(),
  processorMemoryMb: number().optional(),
  eventTypeField: fieldOrFalse().optional(),
  rawEventDelivery: flag().optional(),
  deliveryBufferSeconds: amount().optional(),
  deliveryBufferMiB: number().optional(),
  warehouse: oneOf(['none', 'iceberg', 'redshift', 'snowflake']).optional(),
  snowflakeAccountUrl: text().optional(),
  snowflakeSecretArn: text().optional(),
  snowflakeDatabase: text().optional(),
  snowflakeSchema: text().optional(),
  snowflakeTable: text().optional(),
  snowflakeRole: text().optional(),
  snowflakeContentColumn: text().optional(),
  redshiftJdbcUrl: text().optional(),
  redshiftSecretArn: text().optional(),
  redshiftTable: text().optional(),
  redshiftCopyOptions: text().optional(),
  timestream: flag().optional(),
  alertsEventBus: flag().optional(),
  schemaRegistry: flag().optional(),
  persistResults: flag().optional(),
  closerIntervalMinutes: amount().optional(),
  idleTimeoutSeconds: amount().optional(),
  alarmEmail: text().optional(),
  alarmThresholds: thresholds.optional(),
  removalPolicy: oneOf(['retain', 'destroy']).optional(),
});

// The schema and the interface describe the same settings: a setting added to one and not the other fails to compile.
type SchemaSettings = z.output<typeof DEPLOY_SETTINGS_SCHEMA>;
const sameNames: Record<
  Exclude<keyof SchemaSettings, DeploySettingName> | Exclude<DeploySettingName, keyof SchemaSettings>,
  never
> = {};
void sameNames;

/** Every deploy setting's name, in the schema's order. */
export const DEPLOY_SETTING_NAMES = Object.keys(DEPLOY_SETTINGS_SCHEMA.shape) as DeploySettingName[];

/** What is wrong with one deploy setting. */
export interface DeploySettingProblem {
  /** Dotted name of the setting, e.g. `batchSize` or `alarmThresholds.latePercent`. */
  readonly setting: string;
  /** The value given. */
  readonly value: unknown;
  /** What would be accepted, e.g. `a number` or `'kinesis' or 'msk'`. */
  readonly expected: string;
}

/**
 * Validate raw deploy settings (a definition's `deploy` section, or cdk.json context values, where command-line values
 * arrive as strings) and return them typed; on the first problem call `fail` with the setting, the value and what
 * would be accepted (callers throw their own error type: a `DefinitionError`, or the constructs' `InvalidSettingError`).
 */
export function parseDeploySettings(raw: unknown, fail: (problem: DeploySettingProblem) => never): DeploySettings {
  const result = DEPLOY_SETTINGS_SCHEMA.safeParse(raw, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0]!;
    const known = path[0] === 'alarmThresholds' ? THRESHOLD_NAMES : DEPLOY_SETTING_NAMES;
    return fail({ setting: [...path, name].join('.'), value: name, expected: `one of ${known.join(', ')}` });
  }
  if (path.length === 0) return fail({ setting: 'deploy', value: raw, expected: 'an object of deploy settings' });
  return fail({ setting: path.join('.'), value: givenAt(raw, path, issue.input), expected: issue.message });
}

/** The value as given at `path` (before command-line strings were read as numbers), else `parsed`. */
function givenAt(raw: unknown, path: readonly string[], parsed: unknown): unknown {
  let at = raw;
  for (const key of path) {
    if (!at || typeof at !== 'object' || !Object.hasOwn(at, key)) return parsed;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * The `deploy` section of a definition, validated; a bad setting throws a {@link DefinitionError} naming
 * `deploy.<setting>` and quoting the value.
 */
export function deploySection(raw: DeploySettings | undefined): DeploySettings {
  return parseDeploySettings(raw ?? {}, ({ setting, value, expected }) => {
    throw new DefinitionError(
      setting === 'deploy' ? 'deploy' : `deploy.${setting}`,
      `expected ${expected}, got ${quote(value)}`,
    );
  });
}
