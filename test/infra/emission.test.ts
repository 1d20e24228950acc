/**
 * Emission in the stack (bundling off: the default-stack test loads the bundles): the emitter's event source mapping
 * on the state table's stream, its grants, the closer's schedule, the alerts topic, the results Firehose + Glue table,
 * the alarms (dimensions + actions), the dashboard, and the settings that come from stack props / context.
 */
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMESPACE } from '../../core/contract';
import { AGGREGATE_COLUMNS, EMISSION_ENV_NAMES, SINK_DELIVERY_FAILURES_METRIC } from '../../lib';
import { type AlarmView, alarmOn, alarms } from './alarm-helpers';
import { logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

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
  let ids: { emitter: string; closer: string; state: string; dedupe: string; alarmTopic: string; alerts: string };
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
        [EMISSION_ENV_NAMES.alertsTopicArn]: { Ref: ids.alerts },
        [EMISSION_ENV_NAMES.resultsDeliveryStream]: 'clickstream-aggregates',
        [EMISSION_ENV_NAMES.persistResults]: 'true',
        [EMISSION_ENV_NAMES.idleTimeoutMs]: '60000',
      });
      expect(p.Environment.Variables[EMISSION_ENV_NAMES.eventBusName]).toBeUndefined();
    }
  });

  it('grants the emitter exactly its item operations and sinks; its only wildcard is dynamodb:ListStreams', () => {
    const statements = statementsOf(s, ids.emitter);
    const text = JSON.stringify(statements);
    expect(text).not.toContain('/index/');
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: 'dynamodb:BatchWriteItem',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [ids.state, 'Arn'] },
          Condition: { 'ForAllValues:StringNotEquals': { 'dynamodb:LeadingKeys': ['#checkpoints'] } },
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
    for (const forbidden of ['dynamodb:*', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'sns:*']) {
      expect(actions).not.toContain(forbidden);
    }
  });

  it('grants the closer its operations on the state table only (the due index, no Scan)', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    const logGroup = s.template.findResources('AWS::Lambda::Function')[ids.closer]!.Properties.LoggingConfig.LogGroup;
    expect(statementsOf(s, ids.closer)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logGroup.Ref, 'Arn'] },
      },
      {
        Action: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.state, 'Arn'] },
      },
      // The state table is encrypted with the stack key.
      {
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [key, 'Arn'] },
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
      ['AWS/Lambda', 'Errors', '-emitter-', { FunctionName: { Ref: ids.emitter } }, 0],
      ['AWS/Lambda', 'IteratorAge', '-emitter-', { FunctionName: { Ref: ids.emitter } }, 60_000],
      ['AWS/Lambda', 'Errors', '-closer-', { FunctionName: { Ref: ids.closer } }, 0],
      [METRIC_NAMESPACE, SINK_DELIVERY_FAILURES_METRIC, 'sink-delivery', { pipeline: 'clickstream' }, 0],
      [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'emitter-failed',
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
      /^streamfold-clickstream-(emitter|closer|sink)-/.test(a.Properties.AlarmName),
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
    expect(vars[EMISSION_ENV_NAMES.eventBusName]).toEqual({ Ref: bus });
    expect(statementsOf(s, emitter)).toEqual(
      expect.arrayContaining([
        { Action: 'events:PutEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bus, 'Arn'] } },
      ]),
    );
    s.template.hasOutput('AlertsEventBusName', { Value: { Ref: bus } });
  });

  it('passes persistResults and the idle timeout, schedules the closer every 5 minutes, buffers results 30 s', () => {
    const vars = s.template.findResources('AWS::Lambda::Function')[fnId(s, 'closer')]!.Properties.Environment.Variables;
    expect(vars[EMISSION_ENV_NAMES.persistResults]).toBe('false');
    expect(vars[EMISSION_ENV_NAMES.idleTimeoutMs]).toBe('90000');
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)' });
    s.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamName: 'clickstream-aggregates',
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BufferingHints: { IntervalInSeconds: 30, SizeInMBs: 64 },
      }),
    });
  });

  it('without persistResults the emitter may not write the state table at all', () => {
    const state = logicalIdOf(s.template, 'AWS::DynamoDB::Table', (p) => p.TableName === 'clickstream-state');
    const onState = statementsOf(s, fnId(s, 'emitter')).filter(
      (st) => JSON.stringify(st.Resource) === JSON.stringify({ 'Fn::GetAtt': [state, 'Arn'] }),
    );
    expect(onState).toEqual([]);
  });

  it('is cdk-nag clean', () => {
    expect(s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });
});
