import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { InvalidSettingError } from './errors';

/** Key prefixes inside the data lake bucket. */
export const DATA_LAKE_PREFIXES = {
  /** Raw events, partitioned `event_type=/dt=/hour=/`. */
  events: 'events/',
  /** Records Firehose could not partition or deliver. */
  errors: 'errors/',
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
   * Raw events move to S3 Standard-IA after this long.
   * @default Duration.days(30)
   */
  readonly infrequentAccessAfter?: Duration;
  /**
   * Raw events are deleted after this long.
   * @default - kept (no expiry)
   */
  readonly expireEventsAfter?: Duration;
  /**
   * What happens to the bucket when it leaves the stack (a non-empty bucket cannot be deleted).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The data lake bucket: block public access, TLS only, SSE-S3, versioned, access-logged, with lifecycle rules
 * (raw events to Standard-IA, errors and query results expire, stale uploads and old versions cleaned up).
 */
export class DataLakeBucket extends Construct {
  /** The data lake bucket. */
  readonly bucket: s3.IBucket;
  /** Server access logs of {@link bucket}. */
  readonly accessLogs: s3.IBucket;

  constructor(scope: Construct, id: string, props: DataLakeBucketProps = {}) {
    super(scope, id);
    const ia = props.infrequentAccessAfter ?? Duration.days(30);
    if (ia.toDays({ integral: false }) < 30) {
      throw new InvalidSettingError(
        'infrequentAccessAfter',
        `${ia.toDays({ integral: false })} days`,
        'at least 30 days',
      );
    }
    if (props.expireEventsAfter && props.expireEventsAfter.toDays({ integral: false }) <= ia.toDays()) {
      throw new InvalidSettingError(
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
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...hardening,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket; logging it into itself would loop.',
    });
    this.accessLogs = accessLogs;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...hardening,
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-lake/',
      lifecycleRules: [
        {
          id: 'events',
          prefix: DATA_LAKE_PREFIXES.events,
          transitions: [{ storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: ia }],
          expiration: props.expireEventsAfter,
        },
        { id: 'errors', prefix: DATA_LAKE_PREFIXES.errors, expiration: Duration.days(90) },
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
