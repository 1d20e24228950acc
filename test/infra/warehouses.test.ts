/**
 * The clean events in each warehouse kind (issue 14): Iceberg (unique key `sf_uid`), Snowflake (Firehose's Snowflake
 * destination, key-pair auth from Secrets Manager) and Redshift (Firehose's Redshift destination), each a second
 * Direct PUT Firehose the processor writes besides the data lake's; their required settings ("fails if"), their
 * least-privilege roles, their freshness alarms (two minutes by default), and cdk-nag. Bundling off.
 */
import { Duration } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FIREHOSE_DESTINATION_METRICS,
  type RedshiftSettings,
  SettingError,
  type SnowflakeSettings,
  settingsFromContext,
} from '../../lib';
import { alarmOn, alarms } from './alarm-helpers';
import { LOADER_SECRET, REDSHIFT_SETTINGS, SNOWFLAKE_SETTINGS } from './construct-fixture';
import { buildStack, logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

const SECRET = LOADER_SECRET;
const SNOWFLAKE: SnowflakeSettings = { ...SNOWFLAKE_SETTINGS, role: 'STREAMFOLD_LOADER' };
const REDSHIFT: RedshiftSettings = REDSHIFT_SETTINGS;

const nagFindings = (s: Synthesized) =>
  s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`);

/** The delivery stream named `name`, its properties. */
const stream = (s: Synthesized, name: string) =>
  resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').find(
    ([, d]) => d.Properties.DeliveryStreamName === name,
  )![1].Properties;

/** Statements of the inline policies of the role assumed by a delivery stream's destination. */
function roleStatements(s: Synthesized, roleArn: { 'Fn::GetAtt': [string, string] }) {
  const role = roleArn['Fn::GetAtt'][0];
  return resourcesOf(s.template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
}

/** The processor's clean-events settings: its environment and the delivery streams it may put records into. */
function processorOutput(s: Synthesized) {
  const [, fn] = resourcesOf(s.template, 'AWS::Lambda::Function').find(([, f]) =>
    String(f.Properties.Description).startsWith('streamfold processor '),
  )!;
  const role = fn.Properties.Role['Fn::GetAtt'][0];
  const puts = resourcesOf(s.template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[])
    .filter((st) => [st.Action].flat().includes('firehose:PutRecordBatch'));
  return { env: fn.Properties.Environment.Variables as Record<string, string>, puts };
}

const arnOf = (s: Synthesized, name: string) => ({
  'Fn::GetAtt': [
    logicalIdOf(s.template, 'AWS::KinesisFirehose::DeliveryStream', (p) => p.DeliveryStreamName === name),
    'Arn',
  ],
});

describe('warehouse iceberg', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ warehouse: 'iceberg' });
  });

  it('routes every row to the table as an update on the unique key sf_uid (a row delivered twice is there once)', () => {
    const props = stream(s, 'clickstream-iceberg');
    expect(props.DeliveryStreamType).toBe('DirectPut');
    expect(props.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const dest = props.IcebergDestinationConfiguration;
    expect(dest.DestinationTableConfigurationList).toEqual([
      { DestinationDatabaseName: 'clickstream', DestinationTableName: 'events_iceberg', UniqueKeys: ['sf_uid'] },
    ]);
    expect(dest.ProcessingConfiguration.Processors[0].Parameters).toEqual([
      {
        ParameterName: 'MetadataExtractionQuery',
        ParameterValue:
          '{destinationDatabaseName: "clickstream", destinationTableName: "events_iceberg", operation: "update"}',
      },
      { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
    ]);
  });

  it('the Iceberg table has the event’s columns, the sf_ metadata and the partition values', () => {
    const [, table] = resourcesOf(s.template, 'AWS::Glue::Table').find(
      ([, t]) => t.Properties.TableInput.Name === 'events_iceberg',
    )!;
    const names = table.Properties.TableInput.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name);
    expect(names).toEqual(
      expect.arrayContaining(['eventid', 'userid', 'type', 'ts', 'sf_uid', 'sf_key', 'sf_event_time', 'sf_dt']),
    );
  });

  it('the processor writes the lake and the table, and may put records into those two streams only', () => {
    const { env, puts } = processorOutput(s);
    expect(env.STREAMFOLD_CLEAN_DELIVERY_STREAMS).toBe('clickstream-clean-events,clickstream-iceberg');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.Resource).toEqual([arnOf(s, 'clickstream-clean-events'), arnOf(s, 'clickstream-iceberg')]);
  });

  it('alarms on DeliveryToIceberg freshness (two minutes) and on any failed row', () => {
    const all = alarms(s.template);
    const fresh = alarmOn(all, 'AWS/Firehose', 'DeliveryToIceberg.DataFreshness', '-WarehouseDeliveryHealth-');
    expect(fresh.threshold).toBe(120);
    expect(fresh.metrics[0]!.dimensions).toEqual({ DeliveryStreamName: 'clickstream-iceberg' });
    const failed = alarmOn(all, 'AWS/Firehose', 'DeliveryToIceberg.FailedRowCount', '-WarehouseDeliveryHealth-');
    expect([failed.threshold, failed.comparison]).toEqual([0, 'GreaterThanThreshold']);
  });

  it('works with a created MSK Serverless cluster too (the processor writes it, nothing reads MSK)', () => {
    const msk = synthStack({ ingestion: 'msk', warehouse: 'iceberg' });
    expect(stream(msk, 'clickstream-iceberg').DeliveryStreamType).toBe('DirectPut');
    expect(nagFindings(msk)).toEqual([]);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('warehouse snowflake', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ warehouse: 'snowflake', snowflake: SNOWFLAKE });
  });

  it('Firehose’s Snowflake destination: key-pair auth from the secret, each row as a VARIANT, failed rows to S3', () => {
    const props = stream(s, 'clickstream-snowflake');
    expect(props.DeliveryStreamType).toBe('DirectPut');
    expect(props.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const dest = props.SnowflakeDestinationConfiguration;
    expect(dest).toMatchObject({
      AccountUrl: SNOWFLAKE.accountUrl,
      Database: 'ANALYTICS',
      Schema: 'STREAMFOLD',
      Table: 'CLICKSTREAM_EVENTS_LOG',
      SnowflakeRoleConfiguration: { Enabled: true, SnowflakeRole: 'STREAMFOLD_LOADER' },
      SecretsManagerConfiguration: { Enabled: true, SecretARN: SECRET },
      DataLoadingOption: 'VARIANT_CONTENT_MAPPING',
      ContentColumnName: 'RECORD_CONTENT',
      BufferingHints: { IntervalInSeconds: 0, SizeInMBs: 1 },
      S3BackupMode: 'FailedDataOnly',
    });
    // Credentials only through Secrets Manager: none inline in the template.
    expect(dest.PrivateKey).toBeUndefined();
    expect(dest.User).toBeUndefined();
    expect(dest.S3Configuration.Prefix).toBe('warehouse-errors/snowflake/');
  });

  it('the delivery role may read that one secret and write the backup prefix only', () => {
    const statements = roleStatements(s, stream(s, 'clickstream-snowflake').SnowflakeDestinationConfiguration.RoleARN);
    const secrets = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toEqual([expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: SECRET })]);
    const puts = statements.filter((st) => [st.Action].flat().includes('s3:PutObject'));
    expect(JSON.stringify(puts)).toContain('/warehouse-errors/snowflake/*');
    expect(JSON.stringify(puts)).not.toContain('/clean/');
  });

  it('the processor writes the lake and Snowflake', () => {
    const { env, puts } = processorOutput(s);
    expect(env.STREAMFOLD_CLEAN_DELIVERY_STREAMS).toBe('clickstream-clean-events,clickstream-snowflake');
    expect(puts[0]!.Resource).toEqual([arnOf(s, 'clickstream-clean-events'), arnOf(s, 'clickstream-snowflake')]);
  });

  it('alarms on DeliveryToSnowflake freshness (two minutes) and success, on the dashboard', () => {
    const all = alarms(s.template);
    const fresh = alarmOn(all, 'AWS/Firehose', 'DeliveryToSnowflake.DataFreshness');
    expect(fresh.threshold).toBe(120);
    expect(fresh.metrics[0]!.dimensions).toEqual({ DeliveryStreamName: 'clickstream-snowflake' });
    const success = alarmOn(all, 'AWS/Firehose', 'DeliveryToSnowflake.Success');
    expect([success.threshold, success.comparison]).toEqual([0.99, 'LessThanThreshold']);
    const dashboard = JSON.stringify(resourcesOf(s.template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties);
    expect(dashboard).toContain('DeliveryToSnowflake.DataFreshness');
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('warehouse redshift', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ warehouse: 'redshift', redshift: REDSHIFT });
  });

  it('Firehose’s Redshift destination: staged in S3, COPY as JSON, credentials from the secret', () => {
    const props = stream(s, 'clickstream-redshift');
    expect(props.DeliveryStreamType).toBe('DirectPut');
    const dest = props.RedshiftDestinationConfiguration;
    expect(dest).toMatchObject({
      ClusterJDBCURL: REDSHIFT.jdbcUrl,
      SecretsManagerConfiguration: { Enabled: true, SecretARN: SECRET },
      CopyCommand: {
        DataTableName: 'streamfold.clickstream_events_log',
        CopyOptions: "FORMAT AS JSON 'auto ignorecase' GZIP TRUNCATECOLUMNS",
      },
      S3BackupMode: 'Disabled',
    });
    expect(dest.Username).toBeUndefined();
    expect(dest.Password).toBeUndefined();
    expect(dest.S3Configuration).toMatchObject({
      Prefix: 'redshift-staging/',
      ErrorOutputPrefix: 'warehouse-errors/redshift/',
      CompressionFormat: 'GZIP',
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
    });
  });

  it('the delivery role may read that one secret and write its staging and error prefixes only', () => {
    const statements = roleStatements(s, stream(s, 'clickstream-redshift').RedshiftDestinationConfiguration.RoleARN);
    const secrets = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    expect(secrets).toEqual([expect.objectContaining({ Action: 'secretsmanager:GetSecretValue', Resource: SECRET })]);
    const puts = JSON.stringify(statements.filter((st) => [st.Action].flat().includes('s3:PutObject')));
    expect(puts).toContain('/redshift-staging/*');
    expect(puts).toContain('/warehouse-errors/redshift/*');
  });

  it('the processor writes the lake and Redshift', () => {
    expect(processorOutput(s).env.STREAMFOLD_CLEAN_DELIVERY_STREAMS).toBe(
      'clickstream-clean-events,clickstream-redshift',
    );
  });

  it('alarms on the staging freshness (two minutes) and on COPY success', () => {
    const all = alarms(s.template);
    const fresh = alarmOn(all, 'AWS/Firehose', 'DeliveryToS3.DataFreshness', '-WarehouseDeliveryHealth-');
    expect(fresh.metrics[0]!.dimensions).toEqual({ DeliveryStreamName: 'clickstream-redshift' });
    expect(fresh.threshold).toBe(120);
    const success = alarmOn(all, 'AWS/Firehose', 'DeliveryToRedshift.Success');
    expect([success.threshold, success.comparison]).toEqual([0.99, 'LessThanThreshold']);
  });

  it('expires the staged objects after a month (the same rows stay in clean/)', () => {
    const bucket = resourcesOf(s.template, 'AWS::S3::Bucket').find(([, b]) => b.Properties.LoggingConfiguration)!;
    const rules = bucket[1].Properties.LifecycleConfiguration.Rules as { Id: string; ExpirationInDays?: number }[];
    expect(rules.find((r) => r.Id === 'redshift-staging')?.ExpirationInDays).toBe(30);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('fails if (warehouse settings)', () => {
  const missing = (settings: object, key: string) =>
    Object.fromEntries(Object.entries(settings).filter(([k]) => k !== key));

  it.each([
    [
      'accountUrl',
      /snowflake.accountUrl \(context snowflakeAccountUrl\): not set; expected https:\/\/<account>.snowflakecomputing.com$/,
    ],
    ['secretArn', /snowflake.secretArn \(context snowflakeSecretArn\): not set; expected the full ARN .*/],
    [
      'database',
      /snowflake.database \(context snowflakeDatabase\): not set; expected an unquoted Snowflake identifier .*/,
    ],
    ['schema', /snowflake.schema \(context snowflakeSchema\): not set; expected .*/],
    ['table', /snowflake.table \(context snowflakeTable\): not set; expected .*/],
  ])('snowflake: %s is missing', (key, message) => {
    const build = () => buildStack({ warehouse: 'snowflake', snowflake: missing(SNOWFLAKE, key) as never });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });

  it('snowflake: no settings at all (names the first one needed)', () => {
    expect(() => buildStack({ warehouse: 'snowflake' })).toThrow(/snowflake.accountUrl .*: not set; expected /);
  });

  it.each([
    [{ accountUrl: 'xy12345.snowflakecomputing.com' }, /snowflake.accountUrl .* got "xy12345.snowflakecomputing.com"/],
    [{ accountUrl: 'http://xy12345.snowflakecomputing.com' }, /got "http:\/\/xy12345.snowflakecomputing.com"/],
    [{ accountUrl: 'https://example.com' }, /snowflake.accountUrl .* got "https:\/\/example.com"/],
    [
      { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:streamfold/loader' },
      /snowflake.secretArn .*6-character suffix.* got "arn:aws:secretsmanager:eu-west-1:123456789012:secret:stre.../,
    ],
    [{ secretArn: 'arn:aws:s3:::bucket' }, /snowflake.secretArn .* got "arn:aws:s3:::bucket"/],
    [{ table: 'events-log' }, /snowflake.table \(context snowflakeTable\): expected an unquoted .* got "events-log"/],
    [{ role: 'loader role' }, /snowflake.role \(context snowflakeRole\): .* got "loader role"/],
    [{ bufferingInterval: Duration.seconds(901) }, /snowflake.bufferingInterval: .* got "901 seconds"/],
  ])('snowflake: %o', (override, message) => {
    const build = () => buildStack({ warehouse: 'snowflake', snowflake: { ...SNOWFLAKE, ...override } });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });

  it.each([
    [
      'jdbcUrl',
      /redshift.jdbcUrl \(context redshiftJdbcUrl\): not set; expected jdbc:redshift:\/\/<endpoint>:<port>\/<database>$/,
    ],
    ['secretArn', /redshift.secretArn \(context redshiftSecretArn\): not set; expected the full ARN .*/],
    ['table', /redshift.table \(context redshiftTable\): not set; expected schema.table or table .*/],
  ])('redshift: %s is missing', (key, message) => {
    const build = () => buildStack({ warehouse: 'redshift', redshift: missing(REDSHIFT, key) as never });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });

  it.each([
    [{ jdbcUrl: 'postgres://host:5439/dev' }, /redshift.jdbcUrl .* got "postgres:\/\/host:5439\/dev"/],
    [{ jdbcUrl: 'jdbc:redshift://host/dev' }, /redshift.jdbcUrl .* got "jdbc:redshift:\/\/host\/dev"/],
    [{ table: 'a.b.c' }, /redshift.table .* got "a.b.c"/],
    [{ copyOptions: "JSON 'auto'; DROP TABLE x" }, /redshift.copyOptions: expected COPY options without ";"/],
  ])('redshift: %o', (override, message) => {
    const build = () => buildStack({ warehouse: 'redshift', redshift: { ...REDSHIFT, ...override } });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });

  it('settings of another warehouse kind are given', () => {
    expect(() => buildStack({ snowflake: SNOWFLAKE })).toThrow(
      /snowflake: expected no snowflake settings with warehouse 'none', got /,
    );
    expect(() => buildStack({ warehouse: 'snowflake', snowflake: SNOWFLAKE, redshift: REDSHIFT })).toThrow(
      /redshift: expected no redshift settings with warehouse 'snowflake'/,
    );
  });
});

describe('freshness threshold', () => {
  it('two minutes by default; the buffering interval plus a minute when the interval is longer', () => {
    const s = synthStack({ deliveryBufferingInterval: Duration.seconds(300) });
    const fresh = alarmOn(alarms(s.template), 'AWS/Firehose', 'DeliveryToS3.DataFreshness', '-CleanDeliveryHealth-');
    expect(fresh.threshold).toBe(360);
  });

  it('a threshold given explicitly is kept when it is above the buffering interval', () => {
    const s = synthStack({ alarmThresholds: { deliveryFreshnessSeconds: 90 } });
    expect(alarmOn(alarms(s.template), 'AWS/Firehose', 'DeliveryToS3.DataFreshness', '-Clean').threshold).toBe(90);
  });

  it('every destination has a freshness metric (Redshift: its S3 staging)', () => {
    expect(Object.fromEntries(Object.entries(FIREHOSE_DESTINATION_METRICS).map(([k, v]) => [k, v.freshness]))).toEqual({
      s3: 'DeliveryToS3.DataFreshness',
      iceberg: 'DeliveryToIceberg.DataFreshness',
      snowflake: 'DeliveryToSnowflake.DataFreshness',
      redshift: 'DeliveryToS3.DataFreshness',
    });
  });
});

describe('context settings', () => {
  const read = (context: Record<string, unknown>) => settingsFromContext({ tryGetContext: (key) => context[key] });

  it('reads the Snowflake and Redshift keys into their settings', () => {
    expect(
      read({
        warehouse: 'snowflake',
        snowflakeAccountUrl: SNOWFLAKE.accountUrl,
        snowflakeSecretArn: SECRET,
        snowflakeDatabase: 'ANALYTICS',
        snowflakeSchema: 'STREAMFOLD',
        snowflakeTable: 'CLICKSTREAM_EVENTS_LOG',
      }),
    ).toMatchObject({
      warehouse: 'snowflake',
      snowflake: {
        accountUrl: SNOWFLAKE.accountUrl,
        secretArn: SECRET,
        database: 'ANALYTICS',
        schema: 'STREAMFOLD',
        table: 'CLICKSTREAM_EVENTS_LOG',
      },
      redshift: undefined,
    });
    expect(
      read({ redshiftJdbcUrl: REDSHIFT.jdbcUrl, redshiftSecretArn: SECRET, redshiftTable: REDSHIFT.table }).redshift,
    ).toEqual(REDSHIFT);
  });

  it('a stack built from context fails naming the context key of a missing setting', () => {
    const settings = read({ warehouse: 'snowflake', snowflakeAccountUrl: SNOWFLAKE.accountUrl });
    expect(() => buildStack(settings)).toThrow(/\(context snowflakeSecretArn\)/);
  });
});
