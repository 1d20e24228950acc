/** RedshiftDelivery alone: a Direct PUT delivery stream that stages in S3 and COPYs into Redshift, and its checks. */
import { Duration, Lazy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { RedshiftDelivery, type RedshiftSettings, SettingError } from '../../lib';
import { bareStack, LOADER_SECRET, lakeBucket, REDSHIFT_SETTINGS, templateOf } from './construct-fixture';

const SECRET = LOADER_SECRET;
const SETTINGS = REDSHIFT_SETTINGS;

function build(settings: Partial<RedshiftSettings>) {
  const stack = bareStack();
  const delivery = new RedshiftDelivery(stack, 'Redshift', {
    deliveryStreamName: 'clicks-redshift',
    settings: settings as RedshiftSettings,
    bucket: lakeBucket(stack),
  });
  return { stack, delivery };
}

describe('RedshiftDelivery', () => {
  it('stages gzip objects under redshift-staging/ and COPYs them as JSON with the secret, retrying an hour', () => {
    const { stack, delivery } = build(SETTINGS);
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'clicks-redshift',
      DeliveryStreamType: 'DirectPut',
      RedshiftDestinationConfiguration: {
        ClusterJDBCURL: SETTINGS.jdbcUrl,
        SecretsManagerConfiguration: { Enabled: true, SecretARN: SECRET },
        CopyCommand: {
          DataTableName: SETTINGS.table,
          CopyOptions: "FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS",
        },
        RetryOptions: { DurationInSeconds: 3600 },
        S3Configuration: {
          Prefix: 'redshift-staging/',
          ErrorOutputPrefix: 'warehouse-errors/redshift/',
          CompressionFormat: 'GZIP',
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        },
      },
    });
    expect(delivery.destination).toBe('redshift');
    expect(delivery.deliveryStreamName).toBe('clicks-redshift');
    const policies = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policies).toContain('secretsmanager:GetSecretValue');
    expect(policies).toContain(SECRET);
  });

  it('takes COPY options, a buffering interval, and unresolved tokens as they are', () => {
    const jdbcUrl = Lazy.string({ produce: () => 'jdbc:redshift://x:5439/dev' });
    const { stack } = build({
      ...SETTINGS,
      jdbcUrl,
      copyOptions: "FORMAT AS JSON 'auto' GZIP",
      bufferingInterval: Duration.seconds(300),
    });
    templateOf(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      RedshiftDestinationConfiguration: {
        CopyCommand: { CopyOptions: "FORMAT AS JSON 'auto' GZIP" },
        S3Configuration: { BufferingHints: { IntervalInSeconds: 300 } },
      },
    });
  });

  it.each([
    [{ jdbcUrl: 'postgres://x:5439/dev' }, /redshift.jdbcUrl \(context redshiftJdbcUrl\).*"postgres:\/\/x:5439\/dev"/],
    [
      { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:loader' },
      /redshift.secretArn.*"arn:aws:secretsmanager:eu-west-1:123456789012:secret:loader"/,
    ],
    [{ table: 'a.b.c' }, /redshift.table \(context redshiftTable\).*"a.b.c"/],
    [{ copyOptions: "JSON 'auto'; DROP TABLE x" }, /redshift.copyOptions.*without ";"/],
    [{ bufferingInterval: Duration.seconds(901) }, /redshift.bufferingInterval.*901/],
  ])('fails if %o', (props, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const attempt = () => build({ ...SETTINGS, ...props });
    expect(attempt).toThrow(SettingError);
    expect(attempt).toThrow(message);
  });
});
