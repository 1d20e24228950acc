/** RawEventDelivery alone: the Firehose reading the stream into `raw/`, and its checks. */
import { Match } from 'aws-cdk-lib/assertions';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import { RawEventDelivery, type RawEventDeliveryProps, SettingError } from '../../lib';
import { bareStack, lakeBucket, templateOf } from './construct-fixture';

function raw(props: Partial<RawEventDeliveryProps> = {}) {
  const stack = bareStack();
  const stream = new kinesis.Stream(stack, 'Stream');
  const d = new RawEventDelivery(stack, 'Raw', {
    deliveryStreamName: 'orders-raw-events',
    source: { kind: 'kinesis', stream },
    bucket: lakeBucket(stack),
    eventTypes: ['click', 'view'],
    ...props,
  });
  return { d, t: templateOf(stack) };
}

describe('RawEventDelivery', () => {
  it('creates a delivery stream reading the Kinesis stream into the raw prefix', () => {
    const { d, t } = raw();
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'orders-raw-events',
      DeliveryStreamType: 'KinesisStreamAsSource',
      ExtendedS3DestinationConfiguration: Match.objectLike({ Prefix: Match.stringLikeRegexp('^raw/') }),
    });
    expect(d.deliveryStreamName).toBe('orders-raw-events');
  });

  it.each([
    [{ eventTypeField: 'event-type' }, /eventTypeField: expected a top-level field name/],
    [{ bufferingSizeMiB: 256 }, /bufferingSizeMiB: expected an integer from 64 to 128/],
  ])('fails if %o', (props, message) => {
    const build = () => raw(props);
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
