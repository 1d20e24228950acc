/** CleanEventDelivery alone: the Direct PUT Firehose into `clean/` with its role and log group, and its checks. */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CleanEventDelivery, SettingError } from '../../lib';
import { bareStack, lakeBucket, templateOf } from './construct-fixture';

describe('CleanEventDelivery', () => {
  it('creates a Direct PUT delivery stream into the clean prefix, with its role and log group', () => {
    const stack = bareStack();
    const d = new CleanEventDelivery(stack, 'Clean', { deliveryStreamName: 'orders-clean', bucket: lakeBucket(stack) });
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'orders-clean',
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: Match.stringLikeRegexp('^clean/'),
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      }),
    });
    t.resourceCountIs('AWS::Logs::LogGroup', 1);
    t.resourceCountIs('AWS::IAM::Role', 1);
    expect(d.destination).toBe('s3');
  });

  it.each([
    [{ bufferingSizeMiB: 32 }, /bufferingSizeMiB: expected an integer from 64 to 128 \(dynamic partitioning\), got 32/],
    [{ bufferingInterval: Duration.seconds(901) }, /bufferingInterval: .* got "901 seconds"/],
  ])('fails if %o', (props, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const build = () => {
      const stack = bareStack();
      return new CleanEventDelivery(stack, 'Clean', { deliveryStreamName: 'c', bucket: lakeBucket(stack), ...props });
    };
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
