/** A bare stack to instantiate one construct in, and its template. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { RedshiftSettings, SnowflakeSettings } from '../../lib';

/** A new stack in a new app (region and account fixed, so ARNs render). */
export function bareStack(): Stack {
  return new Stack(new App(), 'construct-test', { env: { account: '123456789012', region: 'eu-west-1' } });
}

/** An existing bucket of `stack` (data lake input of the delivery constructs). */
export function lakeBucket(stack: Stack): s3.IBucket {
  return s3.Bucket.fromBucketName(stack, 'Lake', 'lake-bucket');
}

/** A key of `stack`. */
export function key(stack: Stack): kms.IKey {
  return new kms.Key(stack, 'Key');
}

/** The synthesized template of `stack`. */
export const templateOf = (stack: Stack): Template => Template.fromStack(stack);

/** A Secrets Manager secret ARN of the warehouse loaders (full, with its 6-character suffix). */
export const LOADER_SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:streamfold/loader-AbC123';

/** Valid Snowflake settings. */
export const SNOWFLAKE_SETTINGS: SnowflakeSettings = {
  accountUrl: 'https://xy12345.eu-west-1.snowflakecomputing.com',
  secretArn: LOADER_SECRET,
  database: 'ANALYTICS',
  schema: 'STREAMFOLD',
  table: 'CLICKSTREAM_EVENTS_LOG',
};

/** Valid Redshift settings. */
export const REDSHIFT_SETTINGS: RedshiftSettings = {
  jdbcUrl: 'jdbc:redshift://analytics.abc123.eu-west-1.redshift.amazonaws.com:5439/dev',
  secretArn: LOADER_SECRET,
  table: 'streamfold.clickstream_events_log',
};
