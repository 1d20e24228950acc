/** DataLakeBucket alone: the hardened bucket with its access-log bucket and lifecycle, and its setting checks. */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { DataLakeBucket, SettingError } from '../../lib';
import { bareStack, templateOf } from './construct-fixture';

describe('DataLakeBucket', () => {
  it('creates the data lake bucket and its access-log bucket, both blocking public access', () => {
    const stack = bareStack();
    new DataLakeBucket(stack, 'DataLake');
    const t = templateOf(stack);
    t.resourceCountIs('AWS::S3::Bucket', 2);
    t.allResourcesProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
    t.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: Match.anyValue() });
  });

  it.each([
    [{ infrequentAccessAfter: Duration.days(7) }, /infrequentAccessAfter: expected at least 30 days, got "7 days"/],
    [
      { infrequentAccessAfter: Duration.days(60), expireEventsAfter: Duration.days(30) },
      /expireEventsAfter: expected more days than infrequentAccessAfter \(60\), got "30 days"/,
    ],
  ])('fails if %o', (props, message) => {
    const build = () => new DataLakeBucket(bareStack(), 'DataLake', props);
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
