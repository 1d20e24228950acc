import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { grantObjectEncryption } from './data-lake-bucket';
import { acknowledgeWildcardResources } from './nag-acknowledgements';

/**
 * The role a Firehose delivery stream assumes (trusting firehose.amazonaws.com of this account only), allowed to
 * write the objects under `prefixes` of `bucket` (and to encrypt them with the bucket's key): bucket-level listing,
 * object put/get/abort on the prefixes only.
 */
export function firehoseDeliveryRole(
  scope: Construct,
  id: string,
  options: { description: string; bucket: s3.IBucket; prefixes: readonly string[]; reason: string },
): iam.Role {
  const role = new iam.Role(scope, id, {
    assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: options.description,
  });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
      resources: [options.bucket.bucketArn],
    }),
  );
  const objects = options.prefixes.map((prefix) => options.bucket.arnForObjects(`${prefix}*`));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      resources: objects,
    }),
  );
  grantObjectEncryption(options.bucket, role);
  acknowledgeWildcardResources(role, objects, options.reason);
  return role;
}

/** Where a Firehose delivery stream delivers: decides which CloudWatch metrics tell its freshness and success. */
export type FirehoseDestinationKind = 's3' | 'iceberg' | 'snowflake' | 'redshift';

/** A Direct PUT delivery stream of the clean events (the processor writes it). */
export interface CleanEventsDestination {
  readonly deliveryStreamName: string;
  readonly deliveryStreamArn: string;
  readonly destination: FirehoseDestinationKind;
}

/** Lets `grantee` put records into the delivery streams (PutRecord, PutRecordBatch on their ARNs only). */
export function grantPutRecords(grantee: iam.IGrantable, destinations: readonly CleanEventsDestination[]): void {
  if (destinations.length === 0) return;
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
    resourceArns: destinations.map((d) => d.deliveryStreamArn),
  });
}
