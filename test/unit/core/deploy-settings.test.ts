/**
 * A definition's `deploy` section: validated when defined by the one schema that also reads cdk.json context, with
 * errors naming `deploy.<setting>` and quoting the value.
 */
import { DefinitionError, type DeploySettings, definePipeline, parseDeploySettings, tumbling } from 'streamfold';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { clickstream } from '../../../pipelines/clickstream';

const define = (deploy: unknown) =>
  definePipeline({
    name: 'orders',
    schema: z.object({ id: z.string(), shop: z.string(), kind: z.enum(['new', 'paid']), ts: z.number() }),
    key: 'shop',
    time: 'ts',
    windows: { perMinute: tumbling('1m') },
    aggregates: ({ count }) => ({ orders: count() }),
    deploy: deploy as DeploySettings,
  });

describe('deploy section', () => {
  it('is kept on the pipeline, validated and typed', () => {
    const p = define({
      batchSize: 250,
      eventTypeField: 'kind',
      idleTimeoutSeconds: 120,
      alarmThresholds: { latePercent: 3 },
      ingestion: 'kinesis',
      removalPolicy: 'destroy',
    });
    expect(p.deploy).toEqual({
      batchSize: 250,
      eventTypeField: 'kind',
      idleTimeoutSeconds: 120,
      alarmThresholds: { latePercent: 3 },
      ingestion: 'kinesis',
      removalPolicy: 'destroy',
    });
    expect(define(undefined).deploy).toEqual({});
  });

  it("holds the reference pipeline's data lake partition field", () => {
    expect(clickstream.deploy.eventTypeField).toBe('type');
  });

  it.each([
    [{ batchSize: 'many' }, 'deploy.batchSize: expected a number, got "many"'],
    [{ ingestion: 'kafka' }, `deploy.ingestion: expected 'kinesis' or 'msk', got "kafka"`],
    [{ enhancedFanOut: 'yes' }, 'deploy.enhancedFanOut: expected true or false, got "yes"'],
    [{ closerIntervalMinutes: -5 }, 'deploy.closerIntervalMinutes: expected a number ≥ 0, got -5'],
    [{ eventTypeField: 7 }, 'deploy.eventTypeField: expected a string, got 7'],
    [{ alarmThresholds: { latePercent: -1 } }, 'deploy.alarmThresholds.latePercent: expected a number ≥ 0, got -1'],
    [{ alarmThresholds: [1] }, 'deploy.alarmThresholds: expected an object of thresholds, got [1]'],
    [{ removalPolicy: 'snapshot' }, `deploy.removalPolicy: expected 'retain' or 'destroy', got "snapshot"`],
    [{ eventTypeField: true }, 'deploy.eventTypeField: expected a string, got true'],
    [{ rawEventDelivery: 'maybe' }, 'deploy.rawEventDelivery: expected true or false, got "maybe"'],
    [{ mskMinPollers: 'two' }, 'deploy.mskMinPollers: expected a number, got "two"'],
    [
      { producerPrincipalArn: 'arn:aws:s3:::bucket' },
      'deploy.producerPrincipalArn: expected an IAM role or user ARN, or arn:aws:iam::<account>:root, got "arn:aws:s3:::bucket"',
    ],
    [{ snowflakeTable: 42 }, 'deploy.snowflakeTable: expected a string, got 42'],
    [{ redshiftJdbcUrl: ['jdbc'] }, 'deploy.redshiftJdbcUrl: expected a string, got ["jdbc"]'],
    [
      { warehouse: 'bigquery' },
      `deploy.warehouse: expected 'none' or 'iceberg' or 'redshift' or 'snowflake', got "bigquery"`,
    ],
    ['fast', 'deploy: expected an object of deploy settings, got "fast"'],
  ])('rejects %o naming the setting and quoting the value', (deploy, message) => {
    const build = () => define(deploy);
    expect(build).toThrow(DefinitionError);
    expect(build).toThrow(message);
  });

  it('rejects an unknown setting or threshold, listing the known ones', () => {
    expect(() => define({ batchSzie: 10 })).toThrow(/^deploy\.batchSzie: expected one of ingestion, .*batchSize,/);
    expect(() => define({ alarmThresholds: { lateRatio: 1 } })).toThrow(
      /^deploy\.alarmThresholds\.lateRatio: expected one of iteratorAgeMs, .*latePercent/,
    );
  });

  it('holds the warehouse, MSK poller, producer and raw-copy settings; eventTypeField may be false', () => {
    const settings = {
      eventTypeField: false,
      rawEventDelivery: true,
      mskMinPollers: 2,
      mskMaxPollers: 8,
      producerPrincipalArn: 'arn:aws:iam::123456789012:role/producer',
      warehouse: 'snowflake',
      snowflakeAccountUrl: 'https://xy12345.eu-west-1.snowflakecomputing.com',
      snowflakeSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sf-AbC123',
      snowflakeDatabase: 'ANALYTICS',
      snowflakeSchema: 'STREAMFOLD',
      snowflakeTable: 'ORDERS',
      snowflakeRole: 'LOADER',
      snowflakeContentColumn: 'ROW',
    } as const;
    expect(define(settings).deploy).toEqual(settings);
    const redshift = {
      warehouse: 'redshift',
      redshiftJdbcUrl: 'jdbc:redshift://example.eu-west-1.redshift.amazonaws.com:5439/dev',
      redshiftSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:rs-AbC123',
      redshiftTable: 'streamfold.orders',
      redshiftCopyOptions: "FORMAT AS JSON 'auto'",
    } as const;
    expect(define(redshift).deploy).toEqual(redshift);
    expect(define({ producerPrincipalArn: 'arn:aws:iam::123456789012:root' }).deploy.producerPrincipalArn).toBe(
      'arn:aws:iam::123456789012:root',
    );
  });

  it('reads command-line strings (cdk.json context) with the same schema', () => {
    const fail = ({ setting }: { setting: string }): never => {
      throw new Error(setting);
    };
    expect(
      parseDeploySettings(
        { batchSize: '100', timestream: 'false', idleTimeoutSeconds: '90', alarmThresholds: '{"latePercent":2}' },
        fail,
      ),
    ).toEqual({ batchSize: 100, timestream: false, idleTimeoutSeconds: 90, alarmThresholds: { latePercent: 2 } });
    expect(
      parseDeploySettings({ eventTypeField: 'false', rawEventDelivery: 'true', mskMaxPollers: '20' }, fail),
    ).toEqual({ eventTypeField: false, rawEventDelivery: true, mskMaxPollers: 20 });
  });
});
