/**
 * Emission in the stack (bundling off: the default-stack test loads the bundles): the emitter's event source mapping
 * on the state table's stream, its grants, the closer's schedule, the alerts topic, the results Firehose + Glue table,
 * the alarms (dimensions + actions), the dashboard, and the settings that come from stack props / context.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EMISSION_ENV, ENV, METRIC_NAMESPACE } from '../../core/contract';
import { AGGREGATE_COLUMNS, Emission, SINK_DELIVERY_FAILURES_METRIC } from '../../lib';
import { clickstream } from '../../pipelines/clickstream';
import { type AlarmView, alarmOn, alarms } from './alarm-helpers';
import { BASE_PROPS, logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Statements of the policies attached to the role of the function `fnId`. */
function statementsOf(s: Synthesized, fnId: string): Statement[] {
  const role = s.template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Role['Fn::GetAtt'][0];
  return resourcesOf(s.template, 'AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const fnId = (s: Synthesized, kind: string) =>
  logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => String(p.Description).startsWith(`streamfold ${kind} `));

describe('emission with the default settings', () => {
  let s: Synthesized;
  let all: AlarmView[];
  let ids: {
    emitter: string;
    closer: string;
    state: string;
    dedupe: string;
    alarmTopic: string;
    alerts: string;
    lake: string;
  };
  beforeAll(() => {
    s = synthStack();
    all = alarms(s.template);
    ids = {
      emitter: fnId(s, 'emitter'),
      closer: fnId(s, 'closer'),
      state: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state'),
      dedupe: logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-dedupe'),
      alarmTopic: logicalIdOf(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'streamfold clickstream alarms'),
      alerts: logicalIdOf(s.template, 'AWS::SNS::Topic', (p) => p.TopicName === 'clickstream-alerts'),
      lake: logicalIdOf(s.template, 'AWS::S3::Bucket', (p) => Boolean(p.LoggingConfiguration)),
    };
  });

  it('maps the state table stream to the emitter: filter, bisect, finite retries, max age, partial failures, DLQ', () => {
    const failed = logicalIdOf(s.template, 'AWS::SQS::Queue', (p) => p.QueueName === 'clickstream-emitter-failed');
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.state, 'StreamArn'] },
      FunctionName: { Ref: ids.emitter },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 1,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 86_400,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failed, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount'] },
    });
    const esm = resourcesOf(s.template, 'AWS::Lambda::EventSourceMapping').find(
      ([, r]) => r.Properties.FunctionName.Ref === ids.emitter,
    )!;
    const filters = esm[1].Properties.FilterCriteria.Filters as { Pattern: string }[];
    expect(filters.map((f) => JSON.parse(f.Pattern))).toEqual([
      { eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['state'] } } } },
    ]);
  });

  it('the emitter failed queue: KMS, 14-day retention, TLS only, retained like the other queues', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    s.template.hasResource('AWS::SQS::Queue', {
      Properties: {
        QueueName: 'clickstream-emitter-failed',
        KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
        MessageRetentionPeriod: 1_209_600,
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('runs emitter and closer on Node.js 24, ARM64, with the sinks and emission settings in their environment', () => {
    for (const id of [ids.emitter, ids.closer]) {
      const p = s.template.findResources('AWS::Lambda::Function')[id]!.Properties;
      expect(p.Runtime).toBe('nodejs24.x');
      expect(p.Architectures).toEqual(['arm64']);
      expect(p.Environment.Variables).toMatchObject({
        STREAMFOLD_STATE_TABLE: { Ref: ids.state },
        STREAMFOLD_DEDUPE_TABLE: { Ref: ids.dedupe },
        [EMISSION_ENV.alertsTopicArn]: { Ref: ids.alerts },
        [EMISSION_ENV.resultsDeliveryStream]: 'clickstream-aggregates',
        [EMISSION_ENV.persistResults]: 'false',
        [EMISSION_ENV.undeliveredBucket]: { Ref: ids.lake },
        [ENV.idleTimeoutMs]: '60000',
      });
      expect(p.Environment.Variables[EMISSION_ENV.eventBusName]).toBeUndefined();
    }
  });

  it('grants the emitter exactly its item operations and sinks; its only wildcard is dynamodb:ListStreams', () => {
    const statements = statementsOf(s, ids.emitter);
    const text = JSON.stringify(statements);
    expect(text).not.toContain('/index/');
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.state, 'Arn'] },
          // The id key item only (pk #meta): the emitter reads it once per container and creates it once.
          Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#meta'] } },
        },
        {
          Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.dedupe, 'Arn'] },
        },
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: ids.alerts } },
        {
          Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', expect.arrayContaining([':deliverystream/clickstream-aggregates'])] },
        },
        {
          Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.state, 'StreamArn'] },
        },
      ]),
    );
    expect(statements.filter((st) => st.Resource === '*').map((st) => st.Action)).toEqual(['dynamodb:ListStreams']);
    const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    for (const forbidden of [
      'dynamodb:*',
      'dynamodb:Scan',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'sns:*',
    ]) {
      expect(actions).not.toContain(forbidden);
    }
    // persistResults is off by default: no result items, so no write on the state table beyond the id key.
    const onState = statements.filter(
      (st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [ids.state, 'Arn'] }),
    );
    expect(onState.map((st) => st.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:PutItem']]);
    // The spill: PutObject under undelivered/ of the data lake bucket, nothing else in S3.
    const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('s3:'));
    expect(s3).toEqual([
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.lake, 'Arn'] }, '/undelivered/*']] },
      },
    ]);
  });

  it('grants the closer its state table operations (the due index, no Scan), and for re-delivering spilled messages the markers, the sinks and undelivered/ only', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    const logGroup = s.template.findResources('AWS::Lambda::Function')[ids.closer]!.Properties.LoggingConfig.LogGroup;
    const statements = statementsOf(s, ids.closer);
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.lake, 'Arn'] }, '/undelivered/*']] };
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [logGroup.Ref, 'Arn'] },
        },
        {
          Action: [
            'dynamodb:BatchGetItem',
            'dynamodb:BatchWriteItem',
            'dynamodb:GetItem', // the layout registry (README "Changing a pipeline")
            'dynamodb:PutItem',
            'dynamodb:Query',
          ],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.state, 'Arn'] },
        },
        // The state table is encrypted with the stack key.
        {
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [key, 'Arn'] },
        },
        // Re-delivery: alert markers, the sinks, the spill prefix.
        {
          Action: ['dynamodb:BatchGetItem', 'dynamodb:PutItem'],
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.dedupe, 'Arn'] },
        },
        { Action: 'sns:Publish', Effect: 'Allow', Resource: { Ref: ids.alerts } },
        {
          Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', expect.arrayContaining([':deliverystream/clickstream-aggregates'])] },
        },
      ]),
    );
    const actions = statements.flatMap((st) => (Array.isArray(st.Action) ? st.Action : [st.Action]));
    expect(actions).not.toContain('dynamodb:Scan');
    expect(statements.filter((st) => JSON.stringify(st.Action).includes('s3:'))).toEqual([
      { Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], Effect: 'Allow', Resource: objects },
      {
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['undelivered/*'] } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.lake, 'Arn'] },
      },
    ]);
  });

  it('runs the closer every minute from EventBridge Scheduler, whose role may invoke exactly that function', () => {
    const role = logicalIdOf(s.template, 'AWS::IAM::Role', (p) =>
      JSON.stringify(p.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    );
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: { 'Fn::GetAtt': [ids.closer, 'Arn'] },
        RoleArn: { 'Fn::GetAtt': [role, 'Arn'] },
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }),
      },
    });
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: [
          { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [ids.closer, 'Arn'] } },
        ],
      },
    });
    const trust = s.template.findResources('AWS::IAM::Role')[role]!.Properties.AssumeRolePolicyDocument;
    expect(trust.Statement[0].Condition.StringEquals['aws:SourceAccount']).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('publishes alerts to a KMS-encrypted, TLS-only topic; no EventBridge bus by default', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    s.template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'clickstream-alerts',
      KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: ids.alerts }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    s.template.resourceCountIs('AWS::Events::EventBus', 0);
    s.template.hasOutput('AlertsTopicArn', { Value: { Ref: ids.alerts } });
  });

  it('delivers final results with a Direct PUT Firehose into aggregates/ (GZIP, error prefix, encrypted)', () => {
    const bucket = logicalIdOf(s.template, 'AWS::S3::Bucket', (p) => Boolean(p.LoggingConfiguration));
    const [, stream] = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').find(
      ([, d]) => d.Properties.DeliveryStreamName === 'clickstream-aggregates',
    )!;
    const p = stream.Properties;
    expect(p.DeliveryStreamType).toBe('DirectPut');
    expect(p.DeliveryStreamEncryptionConfigurationInput).toEqual({ KeyType: 'AWS_OWNED_CMK' });
    const dest = p.ExtendedS3DestinationConfiguration;
    expect(dest.BucketARN).toEqual({ 'Fn::GetAtt': [bucket, 'Arn'] });
    expect(dest.Prefix).toBe('aggregates/dt=!{timestamp:yyyy-MM-dd}/');
    expect(dest.ErrorOutputPrefix).toMatch(/^aggregates-errors\/!\{firehose:error-output-type\}\//);
    expect(dest.CompressionFormat).toBe('GZIP');
    expect(dest.BufferingHints).toEqual({ IntervalInSeconds: 60, SizeInMBs: 64 });
    s.template.hasOutput('ResultsDeliveryStreamName', { Value: 'clickstream-aggregates' });
  });

  it('lets the results Firehose write only the aggregates prefixes', () => {
    const role = logicalIdOf(s.template, 'AWS::IAM::Role', (r) =>
      String(r.Description).startsWith('Firehose clickstream-aggregates'),
    );
    const statements = resourcesOf(s.template, 'AWS::IAM::Policy')
      .filter(([, x]) => x.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, x]) => x.Properties.PolicyDocument.Statement as Statement[]);
    const objects = statements.find((st) => (st.Action as string[]).includes('s3:PutObject'))!;
    expect(JSON.stringify(objects.Resource)).toContain('/aggregates/*');
    expect(JSON.stringify(objects.Resource)).toContain('/aggregates-errors/*');
    expect(JSON.stringify(statements)).not.toMatch(/"\/\*"/);
  });

  it('catalogs the results in a Glue table `aggregates` with date partition projection', () => {
    const [, table] = resourcesOf(s.template, 'AWS::Glue::Table').find(
      ([, t]) => t.Properties.TableInput.Name === 'aggregates',
    )!;
    const input = table.Properties.TableInput;
    expect(table.Properties.DatabaseName).toBe('clickstream');
    expect(input.PartitionKeys).toEqual([{ Name: 'dt', Type: 'string' }]);
    expect(input.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.dt.type': 'date' });
    expect(input.StorageDescriptor.Columns).toEqual(AGGREGATE_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/aggregates/');
    s.template.hasOutput('ResultsTable', { Value: 'clickstream.aggregates' });
  });

  it('emitter and closer alarms carry their dimensions and notify the alarm topic', () => {
    const failed = logicalIdOf(s.template, 'AWS::SQS::Queue', (p) => p.QueueName === 'clickstream-emitter-failed');
    const expected = [
      ['AWS/Lambda', 'Errors', '-Emitter-', { FunctionName: { Ref: ids.emitter } }, 0],
      ['AWS/Lambda', 'IteratorAge', '-Emitter-', { FunctionName: { Ref: ids.emitter } }, 60_000],
      ['AWS/Lambda', 'Errors', '-Closer-', { FunctionName: { Ref: ids.closer } }, 0],
      [
        METRIC_NAMESPACE,
        SINK_DELIVERY_FAILURES_METRIC,
        '-EmitterDelivery-SinkDeliveryFailures-',
        { pipeline: 'clickstream' },
        0,
      ],
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        '-EmitterDelivery-EmitterFailedRecords-',
        { QueueName: { 'Fn::GetAtt': [failed, 'QueueName'] } },
        0,
      ],
      [
        'AWS/Firehose',
        'DeliveryToS3.DataFreshness',
        'ResultsDelivery',
        { DeliveryStreamName: 'clickstream-aggregates' },
        120,
      ],
      [
        'AWS/Firehose',
        'DeliveryToS3.Success',
        'ResultsDelivery',
        { DeliveryStreamName: 'clickstream-aggregates' },
        0.99,
      ],
    ] as const;
    for (const [namespace, metric, hint, dimensions, threshold] of expected) {
      const a = alarmOn(all, namespace, metric, hint);
      expect(a.metrics[0]!.dimensions, a.name).toEqual(dimensions);
      expect(a.threshold, a.name).toBe(threshold);
      expect(a.actions, a.name).toEqual([{ Ref: ids.alarmTopic }]);
      expect(a.name).toMatch(/^streamfold-clickstream-/);
    }
  });

  it('puts the emitter, closer, their alarms and the results delivery on the dashboard under Emission', () => {
    const body = JSON.stringify(resourcesOf(s.template, 'AWS::CloudWatch::Dashboard')[0]![1].Properties.DashboardBody);
    const section = body.slice(body.indexOf('# Emission'));
    expect(body.indexOf('# Emission')).toBeGreaterThan(body.indexOf('# Data quality'));
    for (const id of [ids.emitter, ids.closer]) expect(section).toContain(id);
    expect(section).toContain('Emitter and closer alarms');
    expect(section).toContain('IteratorAge');
    expect(section).toContain(SINK_DELIVERY_FAILURES_METRIC);
    expect(section).toContain('clickstream-aggregates');
    // The alarm status widget lists the five emitter/closer alarms.
    const emissionAlarms = resourcesOf(s.template, 'AWS::CloudWatch::Alarm').filter(([, a]) =>
      /^streamfold-clickstream-(Emitter|Closer|EmitterDelivery)-/.test(a.Properties.AlarmName),
    );
    expect(emissionAlarms).toHaveLength(5);
    for (const [id] of emissionAlarms) expect(section).toContain(`"Fn::GetAtt":["${id}","Arn"]`);
  });
});

describe('emission settings from stack props', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({
      alertsEventBus: true,
      persistResults: false,
      closerInterval: Duration.minutes(5),
      idleTimeout: Duration.seconds(90),
      deliveryBufferingInterval: Duration.seconds(30),
    });
  });

  it('creates the alerts EventBridge bus and lets the emitter put events on it', () => {
    const bus = logicalIdOf(s.template, 'AWS::Events::EventBus');
    s.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'clickstream-alerts' });
    const emitter = fnId(s, 'emitter');
    const vars = s.template.findResources('AWS::Lambda::Function')[emitter]!.Properties.Environment.Variables;
    expect(vars[EMISSION_ENV.eventBusName]).toEqual({ Ref: bus });
    expect(statementsOf(s, emitter)).toEqual(
      expect.arrayContaining([
        { Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } },
      ]),
    );
    s.template.hasOutput('AlertsEventBusName', { Value: { Ref: bus } });
  });

  it('passes persistResults and the idle timeout, schedules the closer every 5 minutes, buffers results 30 s', () => {
    const vars = s.template.findResources('AWS::Lambda::Function')[fnId(s, 'closer')]!.Properties.Environment.Variables;
    expect(vars[EMISSION_ENV.persistResults]).toBe('false');
    expect(vars[ENV.idleTimeoutMs]).toBe('90000');
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
    s.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'clickstream-aggregates',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 30, SizeInMBs: 64 },
      }),
    });
  });

  it('without persistResults the emitter may write no item of the state table but the id key (#meta)', () => {
    const state = logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state');
    const onState = statementsOf(s, fnId(s, 'emitter')).filter(
      (st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [state, 'Arn'] }),
    );
    expect(onState).toEqual([
      {
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [state, 'Arn'] },
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#meta'] } },
      },
    ]);
  });

  it('with persistResults the emitter also writes result items (BatchWriteItem), never on the checkpoint partition', () => {
    const persisted = synthStack({ persistResults: true });
    const state = logicalIdOf(persisted.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state');
    const emitter = fnId(persisted, 'emitter');
    const vars = persisted.template.findResources('AWS::Lambda::Function')[emitter]!.Properties.Environment.Variables;
    expect(vars[EMISSION_ENV.persistResults]).toBe('true');
    expect(statementsOf(persisted, emitter)).toEqual(
      expect.arrayContaining([
        {
          Action: 'dynamodb:BatchWriteItem',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [state, 'Arn'] },
          Condition: { 'ForAllValues:StringNotEquals': { 'dynamodb:LeadingKeys': ['#checkpoints'] } },
        },
      ]),
    );
  });

  it('is cdk-nag clean', () => {
    expect(s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });
});

describe('the Emission construct on its own: the spill bucket', () => {
  /** An Emission with only the tables (and optionally a spill bucket), its template and its function ids. */
  function bare(withBucket: boolean) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'bare');
    const key = { name: 'pk', type: dynamodb.AttributeType.STRING };
    const stateTable = new dynamodb.Table(stack, 'State', {
      partitionKey: key,
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    const dedupeTable = new dynamodb.Table(stack, 'Dedupe', { partitionKey: key });
    const bucket = withBucket ? new s3.Bucket(stack, 'Spill') : undefined;
    new Emission(stack, 'Emission', {
      pipeline: clickstream,
      definition: BASE_PROPS.definition,
      stateTable,
      dedupeTable,
      undeliveredBucket: bucket,
    });
    const template = Template.fromStack(stack);
    const s = { template } as Synthesized;
    return { s, emitter: fnId(s, 'emitter'), closer: fnId(s, 'closer') };
  }
  const variables = (s: Synthesized, id: string) =>
    s.template.findResources('AWS::Lambda::Function')[id]!.Properties.Environment.Variables;

  it('without a bucket: no spill variable, and the closer keeps its state table operations only', () => {
    const { s, emitter, closer } = bare(false);
    expect(variables(s, emitter)[EMISSION_ENV.undeliveredBucket]).toBeUndefined();
    expect(variables(s, emitter)[EMISSION_ENV.persistResults]).toBe('false');
    const closerText = JSON.stringify(statementsOf(s, closer));
    for (const absent of ['s3:', 'sns:', 'firehose:', 'Dedupe']) expect(closerText).not.toContain(absent);
    expect(JSON.stringify(statementsOf(s, emitter))).not.toContain('s3:');
  });

  it('with undeliveredBucket: both functions get its name, and S3 rights on undelivered/ only', () => {
    const { s, emitter, closer } = bare(true);
    const bucket = logicalIdOf(s.template, 'AWS::S3::Bucket');
    for (const id of [emitter, closer])
      expect(variables(s, id)[EMISSION_ENV.undeliveredBucket]).toEqual({ Ref: bucket });
    const s3Statements = (id: string) => statementsOf(s, id).filter((st) => JSON.stringify(st.Action).includes('s3:'));
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/undelivered/*']] };
    expect(s3Statements(emitter)).toEqual([{ Action: 's3:PutObject', Effect: 'Allow', Resource: objects }]);
    expect(s3Statements(closer)).toEqual([
      { Action: ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'], Effect: 'Allow', Resource: objects },
      {
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['undelivered/*'] } },
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
      },
    ]);
  });
});
