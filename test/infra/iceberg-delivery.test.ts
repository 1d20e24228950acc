/** IcebergDelivery alone: the Direct PUT Firehose into an Iceberg table, and its checks. */
import { describe, expect, it } from 'vitest';
import { IcebergDelivery, type IcebergDeliveryProps, SettingError } from '../../lib';
import { bareStack, lakeBucket, templateOf } from './construct-fixture';

function iceberg(props: Partial<IcebergDeliveryProps> = {}) {
  const stack = bareStack();
  const d = new IcebergDelivery(stack, 'Iceberg', {
    deliveryStreamName: 'orders-iceberg',
    bucket: lakeBucket(stack),
    databaseName: 'orders',
    columns: [{ name: 'user_id', type: 'string' }],
    ...props,
  });
  return { d, t: templateOf(stack) };
}

describe('IcebergDelivery', () => {
  it('creates a Direct PUT delivery stream with an Iceberg destination and its table', () => {
    const { d, t } = iceberg();
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'orders-iceberg',
      DeliveryStreamType: 'DirectPut',
    });
    const [stream] = Object.values(t.findResources('AWS::KinesisFirehose::DeliveryStream'));
    expect(stream?.Properties.IcebergDestinationConfiguration).toBeDefined();
    expect(d.tableName).toBe('events_iceberg');
    expect(d.destination).toBe('iceberg');
  });

  it('fails if the table name is not lowercase letters, digits and _', () => {
    const build = () => iceberg({ tableName: 'Events-Iceberg' });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(/iceberg.tableName: expected lowercase letters, digits and _, got "Events-Iceberg"/);
  });
});
