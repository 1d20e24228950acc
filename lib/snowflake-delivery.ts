import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SettingError } from '../core/errors';
import { DATA_LAKE_PREFIXES } from './data-lake-bucket';
import { type CleanEventsDestination, firehoseDeliveryRole } from './delivery-role';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { bufferingSeconds } from './validate';

/** Where the clean events go in Snowflake (context keys `snowflakeAccountUrl`, `snowflakeSecretArn`, ...). */
export interface SnowflakeSettings {
  /** The account URL, `https://<account identifier>.snowflakecomputing.com` (or its privatelink form). */
  readonly accountUrl: string;
  /**
   * Secrets Manager secret (full ARN) holding the key-pair credentials Firehose signs in with, as JSON:
   * `{"user": "...", "private_key": "<PKCS#8 PEM body, no header/footer lines>", "key_passphrase": "..."}`
   * (`key_passphrase` only for an encrypted key). A secret encrypted with a customer-managed key needs that key to let
   * the delivery role decrypt through Secrets Manager.
   */
  readonly secretArn: string;
  /** Database, schema and table the rows are loaded into (unquoted identifiers; the table must exist). */
  readonly database: string;
  readonly schema: string;
  readonly table: string;
  /**
   * Snowflake role the user loads with.
   * @default - the user's default role
   */
  readonly role?: string;
  /**
   * Column receiving each row as a VARIANT (Firehose's `VARIANT_CONTENT_MAPPING`): the row keeps every field, and
   * the table needs no change when the schema gains one.
   * @default 'RECORD_CONTENT'
   */
  readonly contentColumn?: string;
  /**
   * Firehose buffering before a Snowpipe Streaming insert (0-900 s).
   * @default Duration.seconds(0) - Firehose's Snowflake default: rows within seconds
   */
  readonly bufferingInterval?: Duration;
}

/** Props of {@link SnowflakeDelivery}. */
export interface SnowflakeDeliveryProps {
  /** Name of the delivery stream (the processor puts its clean rows into it). */
  readonly deliveryStreamName: string;
  readonly settings: SnowflakeSettings;
  /** Bucket for the rows Snowflake refused (`warehouse-errors/snowflake/`). */
  readonly bucket: s3.IBucket;
  /**
   * Log group of the delivery errors (`<namePrefix>snowflake-delivery`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
}

const ACCOUNT_URL = /^https:\/\/[A-Za-z0-9][A-Za-z0-9._-]*\.snowflakecomputing\.com\/?$/;
/** A full secret ARN, with the 6-character suffix Secrets Manager adds (IAM matches it exactly). */
export const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]{0,254}$/;

/** Checks the settings (tokens pass), naming the setting and quoting the bad value. */
export function validateSnowflakeSettings(settings: Partial<SnowflakeSettings> | undefined): SnowflakeSettings {
  const s = settings ?? {};
  const check = (
    name: Exclude<keyof SnowflakeSettings, 'bufferingInterval'>,
    context: string,
    ok: (v: string) => boolean,
    expected: string,
  ) => {
    const value = s[name];
    if (value === undefined && (name === 'role' || name === 'contentColumn')) return;
    if (typeof value === 'string' && (Token.isUnresolved(value) || ok(value))) return;
    throw new SettingError(`snowflake.${name} (context ${context})`, value, expected);
  };
  check('accountUrl', 'snowflakeAccountUrl', (v) => ACCOUNT_URL.test(v), 'https://<account>.snowflakecomputing.com');
  check(
    'secretArn',
    'snowflakeSecretArn',
    (v) => SECRET_ARN.test(v),
    'the full ARN (with its 6-character suffix) of a Secrets Manager secret holding user, private_key (and ' +
      'key_passphrase)',
  );
  for (const [name, context] of [
    ['database', 'snowflakeDatabase'],
    ['schema', 'snowflakeSchema'],
    ['table', 'snowflakeTable'],
    ['role', 'snowflakeRole'],
    ['contentColumn', 'snowflakeContentColumn'],
  ] as const) {
    check(name, context, (v) => IDENTIFIER.test(v), 'an unquoted Snowflake identifier (letters, digits, _ and $)');
  }
  return s as SnowflakeSettings;
}

/**
 * The clean events into Snowflake through Firehose's Snowflake destination (Snowpipe Streaming): key-pair auth from a
 * Secrets Manager secret, each row as a VARIANT, failed rows backed up to S3. Direct PUT: the processor writes it.
 * Delivery is at-least-once (a Lambda retry sends a row again): query the deduplicating view of the README, which
 * keeps one row per `sf_uid`.
 */
export class SnowflakeDelivery extends Construct implements CleanEventsDestination {
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly destination = 'snowflake' as const;

  constructor(scope: Construct, id: string, props: SnowflakeDeliveryProps) {
    super(scope, id);
    const settings = validateSnowflakeSettings(props.settings);
    const interval = bufferingSeconds('snowflake.bufferingInterval', settings.bufferingInterval ?? Duration.seconds(0));
    this.deliveryStreamName = props.deliveryStreamName;
    const errors = `${DATA_LAKE_PREFIXES.warehouseErrors}snowflake/`;
    const role = firehoseDeliveryRole(this, 'Role', {
      description: `Firehose ${props.deliveryStreamName}: load the clean events into Snowflake`,
      bucket: props.bucket,
      prefixes: [errors],
      reason:
        'Object ARNs are scoped to the warehouse-errors/snowflake/ prefix (rows Snowflake refused): Firehose names ' +
        'the objects, so a prefix wildcard is the narrowest resource possible.',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [settings.secretArn] }),
    );
    const logGroup = createLogGroup(this, 'Logs', 'snowflake-delivery', props.logGroups);
    const logStream = logGroup.addStream('SnowflakeDelivery', { logStreamName: 'SnowflakeDelivery' });
    logGroup.grantWrite(role);
    const delivery = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      snowflakeDestinationConfiguration: {
        accountUrl: settings.accountUrl,
        database: settings.database,
        schema: settings.schema,
        table: settings.table,
        roleArn: role.roleArn,
        secretsManagerConfiguration: { enabled: true, secretArn: settings.secretArn, roleArn: role.roleArn },
        ...(settings.role ? { snowflakeRoleConfiguration: { enabled: true, snowflakeRole: settings.role } } : {}),
        dataLoadingOption: 'VARIANT_CONTENT_MAPPING',
        contentColumnName: settings.contentColumn ?? 'RECORD_CONTENT',
        bufferingHints: { intervalInSeconds: interval, sizeInMBs: 1 },
        retryOptions: { durationInSeconds: 3600 },
        s3BackupMode: 'FailedDataOnly',
        s3Configuration: {
          bucketArn: props.bucket.bucketArn,
          roleArn: role.roleArn,
          prefix: errors,
          errorOutputPrefix: `${errors}errors/`,
          compressionFormat: 'GZIP',
        },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: logGroup.logGroupName,
          logStreamName: logStream.logStreamName,
        },
      },
    });
    delivery.node.addDependency(role);
    this.deliveryStreamArn = delivery.attrArn;
  }
}
