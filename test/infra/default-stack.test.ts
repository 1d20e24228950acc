/**
 * The default stack (Kinesis on-demand), synthesized once WITH esbuild bundling: every resource and setting, the
 * alarms' dimensions and actions, the dashboard, a redacted snapshot, and zero cdk-nag findings.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV, METRIC_NAMESPACE, METRICS } from '../../core/contract';
import { ClickEvent } from '../../pipelines/clickstream';
import { type AlarmView, alarmOn, alarms } from './alarm-helpers';
import { logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

let s: Synthesized;
let all: AlarmView[];
let ids: { stream: string; fn: string; topic: string; state: string; dedupe: string; esm: string };

beforeAll(() => {
  s = synthStack({}, { bundle: true, cfnValidation: true });
  all = alarms(s.template);
  ids = {
    stream: logicalIdOf(s.template, 'AWS::Kinesis::Stream'),
    fn: logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => /processor/.test(p.Description)),
    topic: logicalIdOf(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'streamfold clickstream alarms'),
    state: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state'),
    dedupe: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-dedupe'),
    esm: logicalIdOf(s.template, 'AWS::Lambda::EventSourceMapping', (p) => p.EventSourceArn['Fn::GetAtt'][1] === 'Arn'),
  };
});

describe('ingestion (Kinesis)', () => {
  it('creates an on-demand, KMS-encrypted stream with 24 h retention, retained', () => {
    s.template.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        Name: 'clickstream-events',
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        RetentionPeriodHours: 24,
      },
      DeletionPolicy: 'Retain',
    });
    s.template.resourceCountIs('AWS::Kinesis::StreamConsumer', 0);
  });

  it('gives producers a managed policy limited to writing this stream, and no role without a producer principal', () => {
    s.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          {
            Action: ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:DescribeStreamSummary', 'kinesis:ListShards'],
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [ids.stream, 'Arn'] },
          },
        ],
      },
    });
    const policy = logicalIdOf(s.template, 'AWS::IAM::ManagedPolicy');
    expect(JSON.stringify(s.template.findResources('AWS::IAM::Role'))).not.toContain(policy);
    s.template.hasOutput('ProducerPolicyArn', { Value: { Ref: policy } });
  });
});

describe('processing', () => {
  it('runs the bundled processor on Node.js 24, ARM64, with the table and queue names in its environment', () => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          [ENV.stateTable]: { Ref: ids.state },
          [ENV.rejectedQueueUrl]: Match.anyValue(),
          [ENV.lateQueueUrl]: Match.anyValue(),
          [ENV.idleTimeoutMs]: '60000',
          [ENV.parallelizationFactor]: '1',
          POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        }),
      },
    });
  });

  it('maps the stream with safe defaults: finite retries, max age, bisect, partial batch failures, on-failure SQS', () => {
    const failed = logicalIdOf(s.template, 'AWS::SQS::Queue', (p) => p.QueueName === 'clickstream-failed');
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.stream, 'Arn'] },
      FunctionName: { Ref: ids.fn },
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      StartingPosition: 'TRIM_HORIZON',
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failed, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
  });

  it('grants the processor only the item operations it needs, on the tables themselves (no index)', () => {
    const role = s.template.findResources('AWS::Lambda::Function')[ids.fn]!.Properties.Role['Fn::GetAtt'][0];
    const statements = resourcesOf(s.template, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    expect(statements.length).toBeGreaterThan(3);
    const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:BatchGetItem', 'sqs:SendMessage']));
    // UpdateItem is the `ADD` of a hot key's spilled claims; no Scan, no DeleteItem.
    for (const forbidden of [
      'dynamodb:*',
      'dynamodb:Scan',
      'dynamodb:DeleteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteTable',
      'sqs:*',
      's3:*',
      'kinesis:*',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
    expect(statements.some((st) => st.Resource === '*')).toBe(false);
    expect(JSON.stringify(statements)).not.toContain('/index/');
  });

  it.each(['processor', 'emitter', 'closer'])(
    'bundles a loadable ESM %s handler with the AWS SDK inside (not taken from the runtime)',
    (kind) => {
      const fn = resourcesOf(s.template, 'AWS::Lambda::Function').find(([, r]) =>
        String(r.Properties.Description).startsWith(`streamfold ${kind} `),
      );
      expect(fn).toBeDefined();
      const { Code, Environment } = fn![1].Properties;
      const file = join(s.outdir, `asset.${String(Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
      const code = readFileSync(file, 'utf8');
      expect(code.length).toBeGreaterThan(1000);
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      // Load it in plain Node (not through vitest's transform), with the function's environment (tokens replaced).
      const script = `import(${JSON.stringify(pathToFileURL(file).href)}).then((m) => console.log(typeof m.handler))`;
      const env = Object.fromEntries(
        Object.entries(Environment.Variables as Record<string, unknown>).map(([name, value]) => [
          name,
          typeof value === 'string'
            ? value
            : name.endsWith('URL')
              ? 'https://sqs.local/q'
              : name.endsWith('ARN')
                ? 'arn:aws:sns:eu-west-1:123456789012:t'
                : 'name8',
        ]),
      );
      const out = execFileSync(process.execPath, ['-e', script], {
        env: { ...process.env, ...env, AWS_REGION: 'eu-west-1', NODE_NO_WARNINGS: '1' },
        encoding: 'utf8',
      });
      expect(out.trim()).toBe('function');
    },
  );
});

describe('side outputs', () => {
  it.each(['rejected', 'late', 'failed'])('%s queue: KMS, 14-day retention, TLS only, retained', (name) => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    s.template.hasResource('AWS::SQS::Queue', {
      Properties: {
        QueueName: `clickstream-${name}`,
        KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
        MessageRetentionPeriod: 1_209_600,
      },
      DeletionPolicy: 'Retain',
    });
    const queue = logicalIdOf(s.template, 'AWS::SQS::Queue', (p) => p.QueueName === `clickstream-${name}`);
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('rotates the key', () => {
    s.template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });
});

describe('state tables', () => {
  it('state table: pk/sk, no secondary index, on-demand, PITR, TTL, encryption, NEW_AND_OLD_IMAGES stream, retained', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'clickstream-state',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: Match.absent(),
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        DeletionProtectionEnabled: true,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('dedupe table: pk string, TTL, PITR, no stream, retained', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        TableName: 'clickstream-dedupe',
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        StreamSpecification: Match.absent(),
      },
      DeletionPolicy: 'Retain',
    });
  });
});

describe('warehouse delivery', () => {
  it('the clean events: a Direct PUT Firehose the processor writes, GZIP, partitioned by the rows’ event type and event-time date/hour, with an error prefix', () => {
    const [, clean] = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').find(
      ([, d]) => d.Properties.DeliveryStreamName === 'clickstream-clean-events',
    )!;
    const props = clean.Properties;
    expect(props.DeliveryStreamType).toBe('DirectPut');
    expect(props.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const dest = props.ExtendedS3DestinationConfiguration;
    expect(dest.CompressionFormat).toBe('GZIP');
    expect(dest.Prefix).toBe(
      'clean/event_type=!{partitionKeyFromQuery:event_type}/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/',
    );
    expect(dest.ErrorOutputPrefix).toMatch(/^clean-errors\/!\{firehose:error-output-type\}\//);
    expect(dest.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    expect(dest.DynamicPartitioningConfiguration.Enabled).toBe(true);
    // The processor computed every partition value from validated fields: the query only reads them.
    expect(dest.ProcessingConfiguration.Processors).toEqual([
      {
        Type: 'MetadataExtraction',
        Parameters: [
          {
            ParameterName: 'MetadataExtractionQuery',
            ParameterValue: '{event_type: .sf_event_type, dt: .sf_dt, hour: .sf_hour}',
          },
          { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
        ],
      },
    ]);
    expect(dest.CloudWatchLoggingOptions.Enabled).toBe(true);
  });

  it('the processor writes the clean events: its environment names the stream and the partition field; it may put records there only', () => {
    const processor = resourcesOf(s.template, 'AWS::Lambda::Function').find(([, f]) =>
      String(f.Properties.Description).startsWith('streamfold processor '),
    )!;
    expect(processor[1].Properties.Environment.Variables).toMatchObject({
      STREAMFOLD_CLEAN_DELIVERY_STREAMS: 'clickstream-clean-events',
      STREAMFOLD_CLEAN_PARTITION_FIELD: 'type',
    });
    const clean = logicalIdOf(
      s.template,
      'AWS::KinesisFirehose::DeliveryStream',
      (p) => p.DeliveryStreamName === 'clickstream-clean-events',
    );
    const role = processor[1].Properties.Role['Fn::GetAtt'][0];
    const statements = resourcesOf(s.template, 'AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[])
      .filter((st) => [st.Action].flat().some((a) => a.startsWith('firehose:')));
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [clean, 'Arn'] },
      }),
    ]);
  });

  it('hardens the bucket: public access blocked, TLS enforced, encrypted with the key, versioned, logged, lifecycle rules', () => {
    const bucket = resourcesOf(s.template, 'AWS::S3::Bucket').find(([, b]) => b.Properties.LoggingConfiguration)!;
    const p = bucket[1].Properties;
    expect(p.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(p.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe(
      'aws:kms',
    );
    expect(p.VersioningConfiguration.Status).toBe('Enabled');
    const rules = p.LifecycleConfiguration.Rules as { Id?: string; Prefix?: string; Transitions?: unknown[] }[];
    for (const id of ['clean', 'raw']) {
      expect(rules.find((r) => r.Id === id)?.Transitions).toEqual([
        { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
      ]);
    }
    expect(rules.map((r) => r.Id)).toEqual(
      expect.arrayContaining(['errors', 'clean-errors', 'warehouse-errors', 'athena-results', 'housekeeping']),
    );
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket[0] },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('catalogs the clean events in Glue (events_log) with partition projection, columns from the schema plus sf_ metadata', () => {
    s.template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'clickstream' } });
    const [, log] = resourcesOf(s.template, 'AWS::Glue::Table').find(
      ([, t]) => t.Properties.TableInput.Name === 'events_log',
    )!;
    const table = log.Properties;
    expect(table.DatabaseName).toBe('clickstream');
    expect(table.TableInput.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['event_type', 'dt', 'hour']);
    expect(table.TableInput.Parameters['projection.enabled']).toBe('true');
    // event_type is bounded (the schema's enum plus `other`), so Athena can project it without a WHERE clause.
    expect(table.TableInput.Parameters['projection.event_type.type']).toBe('enum');
    expect(table.TableInput.Parameters['projection.event_type.values']).toBe(
      [...ClickEvent.shape.type.options, 'other'].join(','),
    );
    // Athena's placeholders, not JavaScript's.
    const template = ['event_type', 'dt', 'hour'].map((p) => `${p}=\${${p}}/`).join('');
    expect(JSON.stringify(table.TableInput.Parameters['storage.location.template'])).toContain(`/clean/${template}`);
    expect(table.TableInput.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.openx.data.jsonserde.JsonSerDe',
    );
    expect(table.TableInput.StorageDescriptor.Columns).toEqual(
      expect.arrayContaining([
        { Name: 'eventid', Type: 'string' },
        { Name: 'userid', Type: 'string' },
        { Name: 'type', Type: 'string' },
        { Name: 'ts', Type: 'string' },
        { Name: 'sf_uid', Type: 'string' },
        { Name: 'sf_event_time', Type: 'bigint' },
      ]),
    );
    // No raw-event table by default (the raw copy is opt-in).
    expect(
      resourcesOf(s.template, 'AWS::Glue::Table')
        .map(([, t]) => t.Properties.TableInput.Name)
        .sort(),
    ).toEqual(['aggregates', 'events', 'events_log']);
  });

  it('the events view keeps one row per sf_uid (the first to arrive), as an Athena (Presto) view in Glue', () => {
    const [, view] = resourcesOf(s.template, 'AWS::Glue::Table').find(
      ([, t]) => t.Properties.TableInput.Name === 'events',
    )!;
    const input = view.Properties.TableInput;
    expect(input.TableType).toBe('VIRTUAL_VIEW');
    expect(input.Parameters).toEqual({ presto_view: 'true', comment: 'Presto View' });
    const encoded = /^\/\* Presto View: ([A-Za-z0-9+/=]+) \*\/$/.exec(input.ViewOriginalText)![1]!;
    const presto = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    expect(presto.originalSql).toBe(s.stack.pipeline.catalog.eventsViewSql);
    expect(presto.originalSql).toContain(
      'row_number() OVER (PARTITION BY dt, hour, sf_uid ORDER BY sf_arrival_time, length(sf_sequence), sf_sequence)',
    );
    expect(presto.originalSql).toContain('FROM "clickstream"."events_log") WHERE sf_rank = 1');
    expect(presto.schema).toBe('clickstream');
    // The view's columns are the table's plus its partitions, typed alike in Glue and in the Presto view.
    expect(presto.columns.map((c: { name: string }) => c.name)).toEqual(
      input.StorageDescriptor.Columns.map((c: { Name: string }) => c.Name),
    );
    expect(presto.columns.slice(-3)).toEqual([
      { name: 'event_type', type: 'varchar' },
      { name: 'dt', type: 'varchar' },
      { name: 'hour', type: 'varchar' },
    ]);
  });

  it('adds an Athena workgroup with enforced results, encrypted with the key', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    s.template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'streamfold-clickstream',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [key, 'Arn'] } },
        }),
      }),
    });
  });

  it('has no optional sinks by default (no Timestream, no warehouse, no raw copy): clean events and window results only', () => {
    s.template.resourceCountIs('AWS::Timestream::Database', 0);
    const names = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').map(
      ([, d]) => d.Properties.DeliveryStreamName,
    );
    expect(names.sort()).toEqual(['clickstream-aggregates', 'clickstream-clean-events']);
  });
});

describe('alarms', () => {
  it('every alarm notifies the one alarm topic', () => {
    expect(all.length).toBeGreaterThanOrEqual(20);
    for (const a of all) expect(a.actions, a.name).toEqual([{ Ref: ids.topic }]);
  });

  it('the alarm topic is KMS-encrypted, TLS-only, without an email subscription by default', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('Kinesis alarms carry the StreamName dimension', () => {
    for (const metric of [
      'GetRecords.IteratorAgeMilliseconds',
      'ReadProvisionedThroughputExceeded',
      'WriteProvisionedThroughputExceeded',
    ]) {
      const a = alarmOn(all, 'AWS/Kinesis', metric);
      expect(a.metrics[0]!.dimensions).toEqual({ StreamName: { Ref: ids.stream } });
    }
    expect(alarmOn(all, 'AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds').threshold).toBe(60_000);
  });

  it('processor alarms (IteratorAge, Errors, Throttles) carry the FunctionName dimension', () => {
    for (const [metric, threshold] of [
      ['IteratorAge', 60_000],
      ['Errors', 0],
      ['Throttles', 0],
    ] as const) {
      const a = alarmOn(all, 'AWS/Lambda', metric, '-Processor-');
      expect(a.metrics.every((m) => (m.dimensions.FunctionName as { Ref: string }).Ref === ids.fn)).toBe(true);
      expect(a.threshold).toBe(threshold);
    }
  });

  it('event source mapping failed/dropped events alarm on the EventSourceMappingUUID dimension', () => {
    for (const metric of ['FailedInvokeEventCount', 'DroppedEventCount']) {
      const a = alarmOn(all, 'AWS/Lambda', metric);
      expect(a.metrics[0]!.dimensions).toEqual({ EventSourceMappingUUID: { Ref: ids.esm } });
      expect(a.comparison).toBe('GreaterThanThreshold');
    }
  });

  it('each side-output queue has depth and age alarms on its QueueName', () => {
    for (const name of ['Failed', 'Rejected', 'Late']) {
      const queue = logicalIdOf(
        s.template,
        'AWS::SQS::Queue',
        (p) => p.QueueName === `clickstream-${name.toLowerCase()}`,
      );
      const depth = alarmOn(all, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', `${name}Queue`);
      const age = alarmOn(all, 'AWS/SQS', 'ApproximateAgeOfOldestMessage', `${name}Queue`);
      for (const a of [depth, age])
        expect(a.metrics[0]!.dimensions).toEqual({ QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } });
      expect(depth.threshold).toBe(name === 'Failed' ? 0 : 1000);
      expect(age.threshold).toBe(86_400);
    }
  });

  it('DynamoDB throttle and system error alarms per table, on TableName', () => {
    for (const [hint, id] of [
      ['StateTable', ids.state],
      ['DedupeTable', ids.dedupe],
    ] as const) {
      for (const metric of ['ReadThrottleEvents', 'WriteThrottleEvents', 'SystemErrors']) {
        const a = alarmOn(all, 'AWS/DynamoDB', metric, hint);
        expect(a.metrics.every((m) => (m.dimensions.TableName as { Ref: string }).Ref === id)).toBe(true);
      }
    }
  });

  it('Firehose freshness (two minutes by default) and success alarms on DeliveryStreamName', () => {
    const fresh = alarmOn(all, 'AWS/Firehose', 'DeliveryToS3.DataFreshness', '-CleanDeliveryHealth-');
    expect(fresh.metrics[0]!.dimensions).toEqual({ DeliveryStreamName: 'clickstream-clean-events' });
    expect(fresh.threshold).toBe(120);
    const success = alarmOn(all, 'AWS/Firehose', 'DeliveryToS3.Success', '-CleanDeliveryHealth-');
    expect(success.comparison).toBe('LessThanThreshold');
    expect(success.threshold).toBe(0.99);
  });

  it("data-quality alarms read streamfold's EMF metrics with the pipeline dimension", () => {
    for (const [metric, threshold] of [
      [METRICS.late, 1],
      [METRICS.rejected, 1],
      [METRICS.duplicates, 5],
    ] as const) {
      const a = alarmOn(all, METRIC_NAMESPACE, metric);
      expect(a.expressions[0]).toMatch(/IF\(received > 0, 100 \* \w+ \/ received, 0\)/);
      expect(a.metrics.map((m) => m.metricName).sort()).toEqual([metric, METRICS.received].sort());
      for (const m of a.metrics) expect(m.dimensions).toEqual({ pipeline: 'clickstream' });
      expect(a.threshold).toBe(threshold);
    }
    const lag = alarmOn(all, METRIC_NAMESPACE, METRICS.eventTimeLagMs);
    expect(lag.threshold).toBe(300_000);
  });
});

describe('dashboard', () => {
  it('one dashboard, grouped ingestion / processing / state / delivery / data quality / emission', () => {
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(resourcesOf(s.template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    const positions = ['Ingestion', 'Processing', 'State', 'Delivery', 'Data quality', 'Emission'].map((h) =>
      body.indexOf(`# ${h}`),
    );
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

describe('checks', () => {
  it('cdk-nag AwsSolutions reports no unacknowledged finding', () => {
    expect(s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
    expect(s.nag.success).toBe(true);
  });

  it('default settings raise no warning (batch payload under 6 MB)', () => {
    expect(s.annotations.findWarning('*', Match.stringLikeRegexp('6 MB'))).toEqual([]);
  });

  it('matches the snapshot (asset hashes redacted)', () => {
    const json = JSON.stringify(s.template.toJSON(), null, 1)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '[ASSET]')
      .replace(/"cdk-hnb659fds-assets-[^"]*"/g, '"[ASSET-BUCKET]"');
    expect(JSON.parse(json)).toMatchSnapshot();
  });
});
