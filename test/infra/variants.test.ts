/**
 * The MSK, provisioned + enhanced fan-out, and Timestream + Iceberg variants (bundling off: the default-stack test
 * covers it). Each variant is synthesized once and must be cdk-nag clean.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { alarmOn, alarms } from './alarm-helpers';
import { logicalIdOf, resourcesOf, type Synthesized, synthStack } from './stack-fixture';

const EXISTING = 'arn:aws:kafka:eu-west-1:123456789012:cluster/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';

const nagFindings = (s: Synthesized) =>
  s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`);

describe('MSK Serverless (created)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ ingestion: 'msk' });
  });

  it('creates an MSK Serverless cluster with IAM auth in private subnets of a new VPC, and the topic', () => {
    const sg = logicalIdOf(s.template, 'AWS::EC2::SecurityGroup');
    const privateSubnets = resourcesOf(s.template, 'AWS::EC2::Subnet')
      .filter(([, r]) => r.Properties.Tags.some((t: { Key: string; Value: string }) => t.Value === 'Private'))
      .map(([id]) => ({ Ref: id }));
    expect(privateSubnets).toHaveLength(2);
    s.template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClusterName: 'streamfold-clickstream',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      VpcConfigs: [{ SubnetIds: privateSubnets, SecurityGroups: [{ 'Fn::GetAtt': [sg, 'GroupId'] }] }],
    });
    s.template.resourceCountIs('AWS::EC2::VPC', 1);
    s.template.resourceCountIs('AWS::EC2::NatGateway', 1);
    s.template.resourceCountIs('AWS::EC2::FlowLog', 1);
    s.template.hasResourceProperties('AWS::MSK::Topic', {
      TopicName: 'clickstream-events',
      PartitionCount: 6,
      ReplicationFactor: 3,
    });
    s.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
      SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] },
    });
    s.template.resourceCountIs('AWS::Kinesis::Stream', 0);
  });

  it('maps the topic in provisioned mode: pollers, finite retries, max age, bisect, partial failures, SQS on-failure', () => {
    const cluster = logicalIdOf(s.template, 'AWS::MSK::ServerlessCluster');
    const failed = logicalIdOf(s.template, 'AWS::SQS::Queue', (p) => p.QueueName === 'clickstream-failed');
    const processor = logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => /processor/.test(p.Description));
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [cluster, 'Arn'] },
      FunctionName: { Ref: processor },
      Topics: ['clickstream-events'],
      BatchSize: 500,
      StartingPosition: 'TRIM_HORIZON',
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'streamfold-clickstream' },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 10 },
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: 21_600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failed, 'Arn'] } } },
      MetricsConfig: { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
    });
  });

  it('producers may connect and write the topic only', () => {
    s.template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'] }),
          Match.objectLike({ Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'] }),
        ],
      },
    });
  });

  it('creates no Firehose reading MSK Serverless (no multi-VPC private connectivity); the clean events still reach the lake (the processor writes them)', () => {
    const streams = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').map(([, d]) => d.Properties);
    expect(streams.map((d) => d.DeliveryStreamName).sort()).toEqual([
      'clickstream-aggregates',
      'clickstream-clean-events',
    ]);
    expect(streams.every((d) => d.DeliveryStreamType === 'DirectPut')).toBe(true);
    expect(
      resourcesOf(s.template, 'AWS::Glue::Table')
        .map(([, t]) => t.Properties.TableInput.Name)
        .sort(),
    ).toEqual(['aggregates', 'events', 'events_log']);
    s.template.resourceCountIs('AWS::MSK::ClusterPolicy', 0);
    expect(s.template.findOutputs('MskClusterPolicy')).toEqual({});
  });

  it('alarms on OffsetLag (FunctionName) instead of IteratorAge, and has no Kinesis alarms', () => {
    const all = alarms(s.template);
    const fn = logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => /processor/.test(p.Description));
    const lag = alarmOn(all, 'AWS/Lambda', 'OffsetLag');
    expect(lag.metrics[0]!.dimensions).toEqual({ FunctionName: { Ref: fn } });
    expect(lag.threshold).toBe(10_000);
    // The only IteratorAge alarm left is the emitter's, on the state table's DynamoDB stream.
    const iteratorAge = all.filter((a) => a.metrics.some((m) => m.metricName === 'IteratorAge'));
    expect(iteratorAge.map((a) => a.name)).toEqual(['streamfold-clickstream-Emitter-Iterator-Age-Max-Critical']);
    expect(all.some((a) => a.metrics.some((m) => m.namespace === 'AWS/Kinesis'))).toBe(false);
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('MSK (existing cluster by ARN)', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({ ingestion: 'msk', mskClusterArn: EXISTING, mskTopic: 'clicks', rawEventDelivery: true });
  });

  it('creates no cluster, VPC or topic and reads the given cluster and topic', () => {
    s.template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    s.template.resourceCountIs('AWS::MSK::Topic', 0);
    s.template.resourceCountIs('AWS::EC2::VPC', 0);
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: EXISTING,
      Topics: ['clicks'],
    });
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
            Resource: 'arn:aws:kafka:eu-west-1:123456789012:topic/shared/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/clicks',
          }),
        ]),
      },
    });
  });

  it('the raw copy (rawEventDelivery): Firehose reads the topic over private connectivity; the stack outputs the cluster policy the owner applies', () => {
    s.template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'MSKAsSource',
      MSKSourceConfiguration: {
        MSKClusterARN: EXISTING,
        TopicName: 'clicks',
        AuthenticationConfiguration: { Connectivity: 'PRIVATE', RoleARN: Match.anyValue() },
      },
    });
    // The stack does not own the cluster, so it does not put a policy on it (one policy per cluster).
    s.template.resourceCountIs('AWS::MSK::ClusterPolicy', 0);
    const output = Object.values(s.template.findOutputs('MskClusterPolicy'))[0]!.Value as string;
    expect(JSON.parse(output)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
          Action: 'kafka:CreateVpcConnection',
          Resource: EXISTING,
        },
      ],
    });
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('Kinesis provisioned with enhanced fan-out', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({
      streamMode: 'provisioned',
      shardCount: 4,
      streamRetention: Duration.hours(48),
      enhancedFanOut: true,
      parallelizationFactor: 2,
    });
  });

  it('creates a provisioned stream with the shard count and retention', () => {
    s.template.hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 4,
      RetentionPeriodHours: 48,
    });
  });

  it('reads through an enhanced fan-out consumer', () => {
    const consumer = logicalIdOf(s.template, 'AWS::Kinesis::StreamConsumer');
    s.template.hasResourceProperties('AWS::Kinesis::StreamConsumer', { ConsumerName: 'clickstream-events-processor' });
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [consumer, 'ConsumerARN'] },
      ParallelizationFactor: 2,
    });
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});

describe('Timestream + Iceberg warehouse + email + custom thresholds + DESTROY', () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthStack({
      timestream: true,
      warehouse: 'iceberg',
      alarmEmail: 'ops@example.com',
      alarmThresholds: { iteratorAgeMs: 120_000, latePercent: 3, emitterIteratorAgeMs: 30_000 },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  });

  it('creates a KMS-encrypted Timestream database and a window-results table', () => {
    const key = logicalIdOf(s.template, 'AWS::KMS::Key');
    s.template.hasResourceProperties('AWS::Timestream::Database', {
      DatabaseName: 'streamfold-clickstream',
      KmsKeyId: { 'Fn::GetAtt': [key, 'Arn'] },
    });
    s.template.hasResourceProperties('AWS::Timestream::Table', {
      TableName: 'window_results',
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: '24', MagneticStoreRetentionPeriodInDays: '365' },
      MagneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
  });

  it('adds an Iceberg table and a second Direct PUT Firehose the processor writes the clean events to (unique key sf_uid)', () => {
    s.template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'clickstream',
      OpenTableFormatInput: { IcebergInput: { MetadataOperation: 'CREATE', Version: '2' } },
      TableInput: Match.objectLike({ Name: 'events_iceberg' }),
    });
    const iceberg = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').find(
      ([, d]) => d.Properties.IcebergDestinationConfiguration,
    );
    expect(iceberg).toBeDefined();
    const props = iceberg![1].Properties;
    expect(props.DeliveryStreamType).toBe('DirectPut');
    expect(props.IcebergDestinationConfiguration.DestinationTableConfigurationList).toEqual([
      { DestinationDatabaseName: 'clickstream', DestinationTableName: 'events_iceberg', UniqueKeys: ['sf_uid'] },
    ]);
    const all = alarms(s.template);
    const fresh = all.filter((a) => a.metrics.some((m) => m.metricName === 'DeliveryToS3.DataFreshness'));
    expect(fresh.map((a) => a.metrics[0]!.dimensions.DeliveryStreamName).sort()).toEqual([
      'clickstream-aggregates',
      'clickstream-clean-events',
    ]);
    const icebergFresh = alarmOn(all, 'AWS/Firehose', 'DeliveryToIceberg.DataFreshness');
    expect(icebergFresh.metrics[0]!.dimensions).toEqual({ DeliveryStreamName: 'clickstream-iceberg' });
    expect(icebergFresh.threshold).toBe(120);
  });

  it('subscribes the email to the alarm topic and applies custom thresholds', () => {
    const topic = logicalIdOf(s.template, 'AWS::SNS::Topic', (p) => p.DisplayName === 'streamfold clickstream alarms');
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: topic },
    });
    const all = alarms(s.template);
    expect(alarmOn(all, 'AWS/Lambda', 'IteratorAge', '-Processor-').threshold).toBe(120_000);
    expect(alarmOn(all, 'streamfold', 'Late').threshold).toBe(3);
    expect(alarmOn(all, 'AWS/Lambda', 'IteratorAge', '-Emitter-').threshold).toBe(30_000);
  });

  it('the emitter writes final results to the Timestream table (WriteRecords on the table only)', () => {
    const table = logicalIdOf(s.template, 'AWS::Timestream::Table');
    const emitter = logicalIdOf(s.template, 'AWS::Lambda::Function', (p) => /emitter/.test(p.Description));
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('emitter'),
      Environment: {
        Variables: Match.objectLike({
          STREAMFOLD_TIMESTREAM_DATABASE: 'streamfold-clickstream',
          STREAMFOLD_TIMESTREAM_TABLE: 'window_results',
        }),
      },
    });
    const role = s.template.findResources('AWS::Lambda::Function')[emitter]!.Properties.Role['Fn::GetAtt'][0];
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: role }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'timestream:WriteRecords', Effect: 'Allow', Resource: { 'Fn::GetAtt': [table, 'Arn'] } },
        ]),
      },
    });
  });

  it('DESTROY also deletes the emitter failed queue', () => {
    s.template.hasResource('AWS::SQS::Queue', {
      Properties: Match.objectLike({ QueueName: 'clickstream-emitter-failed' }),
      DeletionPolicy: 'Delete',
    });
  });

  it('DESTROY removes the stateful resources and turns deletion protection off', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ TableName: 'clickstream-state', DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    s.template.hasResource('AWS::Kinesis::Stream', { DeletionPolicy: 'Delete' });
  });

  it('is cdk-nag clean', () => {
    expect(nagFindings(s)).toEqual([]);
  });
});
