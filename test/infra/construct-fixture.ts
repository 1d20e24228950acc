/** A bare stack to instantiate one construct in, and its template. */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

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
