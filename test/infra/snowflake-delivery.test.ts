/** SnowflakeDelivery alone: a Direct PUT delivery stream into Snowflake (Snowpipe Streaming), and its checks. */
import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { SettingError, SnowflakeDelivery, type SnowflakeSettings } from '../../lib';
import { bareStack, LOADER_SECRET, lakeBucket, SNOWFLAKE_SETTINGS, templateOf } from './construct-fixture';

const SECRET = LOADER_SECRET;
const SETTINGS = SNOWFLAKE_SETTINGS;

function build(settings: Partial<SnowflakeSettings>) {
  const stack = bareStack();
  const delivery = new SnowflakeDelivery(stack, 'Snowflake', {
    deliveryStreamName: 'clicks-snowflake',
    settings: settings as SnowflakeSettings,
    bucket: lakeBucket(stack),
  });
  return { stack, delivery };
}

describe('SnowflakeDelivery', () => {
  it('loads each row as a VARIANT with key-pair auth from the secret; failed rows only are backed up to S3', () => {
    const { stack, delivery } = build(SETTINGS);
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'clicks-snowflake',
      DeliveryStreamType: 'DirectPut',
      SnowflakeDestinationConfiguration: {
        AccountUrl: SETTINGS.accountUrl,
        Database: 'ANALYTICS',
        Schema: 'STREAMFOLD',
        Table: 'CLICKSTREAM_EVENTS_LOG',
        SecretsManagerConfiguration: { Enabled: true, SecretARN: SECRET },
        DataLoadingOption: 'VARIANT_CONTENT_MAPPING',
        ContentColumnName: 'RECORD_CONTENT',
        BufferingHints: { IntervalInSeconds: 0 },
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: { Prefix: 'warehouse-errors/snowflake/' },
      },
    });
    const stream = Object.values(t.findResources('AWS::KinesisFirehose::DeliveryStream'))[0] as {
      Properties: { SnowflakeDestinationConfiguration: Record<string, unknown> };
    };
    expect(stream.Properties.SnowflakeDestinationConfiguration.SnowflakeRoleConfiguration).toBeUndefined();
    expect(delivery.destination).toBe('snowflake');
  });

  it('takes a Snowflake role, a content column and a buffering interval', () => {
    const { stack } = build({
      ...SETTINGS,
      role: 'STREAMFOLD_LOADER',
      contentColumn: 'PAYLOAD',
      bufferingInterval: Duration.seconds(30),
    });
    templateOf(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      SnowflakeDestinationConfiguration: {
        SnowflakeRoleConfiguration: { Enabled: true, SnowflakeRole: 'STREAMFOLD_LOADER' },
        ContentColumnName: 'PAYLOAD',
        BufferingHints: { IntervalInSeconds: 30 },
      },
    });
  });

  it.each([
    [{ accountUrl: 'xy12345.snowflakecomputing.com' }, /snowflake.accountUrl .*"xy12345.snowflakecomputing.com"/],
    [{ secretArn: undefined }, /snowflake.secretArn \(context snowflakeSecretArn\): not set/],
    [{ database: 'my db' }, /snowflake.database \(context snowflakeDatabase\).*"my db"/],
    [{ role: '1role' }, /snowflake.role .*"1role"/],
    [{ bufferingInterval: Duration.millis(1500) }, /snowflake.bufferingInterval/],
  ])('fails if %o', (props, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const attempt = () => build({ ...SETTINGS, ...props });
    expect(attempt).toThrow(SettingError);
    expect(attempt).toThrow(message);
  });
});
