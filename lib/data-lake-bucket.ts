import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { CLEAN_ERRORS_PREFIX, CLEAN_EVENTS_PREFIX } from '../core/clean-events';
import { RAW_ERRORS_PREFIX, RAW_EVENTS_PREFIX } from '../core/contract';
import { SettingError } from '../core/errors';
import { checkDuration } from './validate';

/** Key prefixes inside the data lake bucket. */
export const DATA_LAKE_PREFIXES = {
  /** Clean events (every valid record, from the processor), partitioned `event_type=/dt=/hour=/` by event time. */
  clean: CLEAN_EVENTS_PREFIX,
  /** Clean rows Firehose could not partition or deliver. */
  cleanErrors: CLEAN_ERRORS_PREFIX,
  /** Raw events as the stream carried them (forensics; `rawEventDelivery`), partitioned by arrival time. */
  raw: RAW_EVENTS_PREFIX,
  /** Raw records Firehose could not partition or deliver. */
  errors: RAW_ERRORS_PREFIX,
  /** Rows the Snowflake or Redshift delivery could not load (Firehose's S3 backup of failed data). */
  warehouseErrors: 'warehouse-errors/',
  /** Firehose's intermediate objects for Redshift COPY. */
  redshiftStaging: 'redshift-staging/',
  /** Iceberg warehouse tables. */
  iceberg: 'iceberg/',
  /** Records the Iceberg delivery could not write. */
  icebergErrors: 'iceberg-errors/',
  /** Athena query results. */
  athenaResults: 'athena-results/',
} as const;

/** Props of {@link DataLakeBucket}. */
export interface DataLakeBucketProps {
  /**
   * Clean and raw events move to S3 Standard-IA after this long.
   * @default Duration.days(30)
   */
  readonly infrequentAccessAfter?: Duration;
  /**
   * Clean and raw events are deleted after this long.
   * @default - kept (no expiry)
   */
  readonly expireEventsAfter?: Duration;
  /**
   * What happens to the bucket when it leaves the stack (a non-empty bucket cannot be deleted).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key encrypting the data lake objects by default (SSE-KMS with an S3 Bucket Key, so S3 calls KMS
   * per bucket key rather than per object). Writers (the Firehose roles) and readers (Athena users) then need the
   * key's permissions too. The access-log bucket stays on SSE-S3: S3 server access logging only delivers to buckets
   * encrypted with SSE-S3.
   * @default - SSE-S3
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The data lake bucket: block public access, TLS only, SSE-KMS with the given key (else SSE-S3), versioned,
 * access-logged, with lifecycle rules (events to Standard-IA, errors and query results expire, stale uploads and
 * old versions cleaned up). The access-log bucket has ACLs disabled (bucket owner enforced): S3's logging service is
 * allowed by the bucket policy, for the data lake bucket of this account only.
 */
export class DataLakeBucket extends Construct {
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /** Server access logs of {@link bucket}. */
  readonly accessLogs: s3.IBucket;

  constructor(scope: Construct, id: string, props: DataLakeBucketProps = {}) {
    super(scope, id);
    const ia = props.infrequentAccessAfter ?? Duration.days(30);
    checkDuration('infrequentAccessAfter', ia, 'days', { min: 30 }, 'at least 30 days');
    if (props.expireEventsAfter && props.expireEventsAfter.toDays({ integral: false }) <= ia.toDays()) {
      throw new SettingError(
        'expireEventsAfter',
        `${props.expireEventsAfter.toDays({ integral: false })} days`,
        `more days than infrequentAccessAfter (${ia.toDays()})`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const hardening = {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy,
    };
    // ACLs stay disabled: with this feature flag set for the buckets below (whatever the app's cdk.json says), the CDK
    // grants logging.s3.amazonaws.com s3:PutObject in the access-log bucket's policy, conditioned on the source
    // bucket's ARN and account, instead of the legacy LogDeliveryWrite ACL.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...hardening,
      lifecycleRules: [{ expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket; logging it into itself would loop.',
    });
    this.accessLogs = accessLogs;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...hardening,
      ...(props.encryptionKey
        ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true }
        : {}),
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-lake/',
      lifecycleRules: [
        ...(['clean', 'raw'] as const).map((id) => ({
          id,
          prefix: DATA_LAKE_PREFIXES[id],
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: ia }],
          expiration: props.expireEventsAfter,
        })),
        { id: 'errors', prefix: DATA_LAKE_PREFIXES.errors, expiration: Duration.days(90) },
        { id: 'clean-errors', prefix: DATA_LAKE_PREFIXES.cleanErrors, expiration: Duration.days(90) },
        { id: 'warehouse-errors', prefix: DATA_LAKE_PREFIXES.warehouseErrors, expiration: Duration.days(90) },
        // Loaded by COPY within minutes; kept a month so a failed load (listed in warehouse-errors/redshift/) can be
        // loaded again. The same rows are in clean/ for good.
        { id: 'redshift-staging', prefix: DATA_LAKE_PREFIXES.redshiftStaging, expiration: Duration.days(30) },
        { id: 'iceberg-errors', prefix: DATA_LAKE_PREFIXES.icebergErrors, expiration: Duration.days(90) },
        { id: 'athena-results', prefix: DATA_LAKE_PREFIXES.athenaResults, expiration: Duration.days(30) },
        {
          id: 'housekeeping',
          abortIncompleteMultipartUploadAfter: Duration.days(7),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });
  }
}

/**
 * Lets `grantee` (a Firehose role) have S3 encrypt the objects it writes to `bucket` with the bucket's key, when the
 * bucket has one: `kms:GenerateDataKey` and `kms:Decrypt` (multipart uploads) on that key, only through S3.
 */
export function grantObjectEncryption(bucket: s3.IBucket, grantee: iam.IGrantable): void {
  if (!bucket.encryptionKey) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resourceArns: [bucket.encryptionKey.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(bucket).region}.amazonaws.com` } },
  });
}
