import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SettingError } from '../core/errors';
import { DATA_LAKE_PREFIXES } from './data-lake-bucket';
import { type CleanEventsDestination, firehoseDeliveryRole } from './delivery-role';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { SECRET_ARN } from './snowflake-delivery';
import { bufferingSeconds } from './validate';

/** Where the clean events go in Redshift (context keys `redshiftJdbcUrl`, `redshiftSecretArn`, `redshiftTable`). */
export interface RedshiftSettings {
  /**
   * JDBC URL of the cluster or Serverless workgroup, `jdbc:redshift://<endpoint>:<port>/<database>`. Firehose connects
   * to it from its own addresses: the endpoint must be publicly accessible and its security group must let in the
   * Firehose CIDR block of the region (see the README).
   */
  readonly jdbcUrl: string;
  /** Secrets Manager secret (full ARN) with the `username` and `password` Firehose signs in with. */
  readonly secretArn: string;
  /** Target table, `schema.table` or `table` (it must exist: see the README for its DDL). */
  readonly table: string;
  /**
   * COPY options. JSON keys are matched to the table's columns case-insensitively.
   * @default "FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS"
   */
  readonly copyOptions?: string;
  /**
   * Firehose buffering before a COPY (0-900 s): with Redshift, every flush is one COPY.
   * @default Duration.seconds(60)
   */
  readonly bufferingInterval?: Duration;
}

/** Props of {@link RedshiftDelivery}. */
export interface RedshiftDeliveryProps {
  /** Name of the delivery stream (the processor puts its clean rows into it). */
  readonly deliveryStreamName: string;
  readonly settings: RedshiftSettings;
  /** Bucket for Firehose's intermediate objects (`redshift-staging/`) and failed loads. */
  readonly bucket: s3.IBucket;
  /**
   * Log group of the delivery errors (`<namePrefix>redshift-delivery`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
}

const JDBC_URL = /^jdbc:redshift:\/\/[A-Za-z0-9.-]+:\d{1,5}\/[A-Za-z0-9_$-]+$/;
const TABLE = /^([A-Za-z_][A-Za-z0-9_$]{0,126}\.)?[A-Za-z_][A-Za-z0-9_$]{0,126}$/;

/** Checks the settings (tokens pass), naming the setting and quoting the bad value. */
export function validateRedshiftSettings(settings: Partial<RedshiftSettings> | undefined): RedshiftSettings {
  const s = settings ?? {};
  const check = (name: 'jdbcUrl' | 'secretArn' | 'table', context: string, pattern: RegExp, expected: string) => {
    const value = s[name];
    if (typeof value === 'string' && (Token.isUnresolved(value) || pattern.test(value))) return;
    throw new SettingError(`redshift.${name} (context ${context})`, value, expected);
  };
  check('jdbcUrl', 'redshiftJdbcUrl', JDBC_URL, 'jdbc:redshift://<endpoint>:<port>/<database>');
  check(
    'secretArn',
    'redshiftSecretArn',
    SECRET_ARN,
    'the full ARN (with its 6-character suffix) of a Secrets Manager secret holding username and password',
  );
  check('table', 'redshiftTable', TABLE, 'schema.table or table (unquoted identifiers)');
  if (s.copyOptions !== undefined && (typeof s.copyOptions !== 'string' || /;/.test(s.copyOptions))) {
    throw new SettingError('redshift.copyOptions', s.copyOptions, 'COPY options without ";"');
  }
  return s as RedshiftSettings;
}

/**
 * The clean events into Amazon Redshift through Firehose's Redshift destination: rows staged in S3
 * (`redshift-staging/`), loaded with COPY (JSON, keys matched to columns), credentials from Secrets Manager.
 * Direct PUT: the processor writes it. At-least-once (a Lambda retry sends a row again, and COPY appends): query the
 * deduplicating view of the README, which keeps one row per `sf_uid`.
 */
export class RedshiftDelivery extends Construct implements CleanEventsDestination {
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly destination = 'redshift' as const;

  constructor(scope: Construct, id: string, props: RedshiftDeliveryProps) {
    super(scope, id);
    const settings = validateRedshiftSettings(props.settings);
    const interval = bufferingSeconds('redshift.bufferingInterval', settings.bufferingInterval ?? Duration.seconds(60));
    this.deliveryStreamName = props.deliveryStreamName;
    const errors = `${DATA_LAKE_PREFIXES.warehouseErrors}redshift/`;
    const role = firehoseDeliveryRole(this, 'Role', {
      description: `Firehose ${props.deliveryStreamName}: stage the clean events in S3 and COPY them into Redshift`,
      bucket: props.bucket,
      prefixes: [DATA_LAKE_PREFIXES.redshiftStaging, errors],
      reason:
        'Object ARNs are scoped to the redshift-staging/ and warehouse-errors/redshift/ prefixes: Firehose names the ' +
        'objects, so a prefix wildcard is the narrowest resource possible.',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [settings.secretArn] }),
    );
    const logGroup = createLogGroup(this, 'Logs', 'redshift-delivery', props.logGroups);
    const logStream = logGroup.addStream('RedshiftDelivery', { logStreamName: 'RedshiftDelivery' });
    logGroup.grantWrite(role);
    const logging = { enabled: true, logGroupName: logGroup.logGroupName, logStreamName: logStream.logStreamName };
    const delivery = new firehose.CfnDeliveryStream(this, 'Resource', {
      deliveryStreamName: props.deliveryStreamName,
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      redshiftDestinationConfiguration: {
        clusterJdbcurl: settings.jdbcUrl,
        roleArn: role.roleArn,
        secretsManagerConfiguration: { enabled: true, secretArn: settings.secretArn, roleArn: role.roleArn },
        copyCommand: {
          dataTableName: settings.table,
          copyOptions: settings.copyOptions ?? "FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS",
        },
        retryOptions: { durationInSeconds: 3600 },
        s3BackupMode: 'Disabled',
        s3Configuration: {
          bucketArn: props.bucket.bucketArn,
          roleArn: role.roleArn,
          prefix: DATA_LAKE_PREFIXES.redshiftStaging,
          errorOutputPrefix: errors,
          compressionFormat: 'GZIP',
          bufferingHints: { intervalInSeconds: interval, sizeInMBs: 64 },
          cloudWatchLoggingOptions: logging,
        },
        cloudWatchLoggingOptions: logging,
      },
    });
    delivery.node.addDependency(role);
    this.deliveryStreamArn = delivery.attrArn;
  }
}
