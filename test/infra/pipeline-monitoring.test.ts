/** PipelineMonitoring alone: alarms on one encrypted topic, the dashboard, the thresholds, and their checks. */
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALARM_THRESHOLDS, PipelineMonitoring, type PipelineMonitoringProps, SettingError } from '../../lib';
import { bareStack, key, templateOf } from './construct-fixture';

const ARN = 'arn:aws:%s:eu-west-1:123456789012:%s';

/** Props over imported resources, so the template holds only what PipelineMonitoring makes. */
function props(stack: Stack, overrides: Partial<PipelineMonitoringProps> = {}): PipelineMonitoringProps {
  return {
    pipelineName: 'orders',
    encryptionKey: key(stack),
    sourceKind: 'kinesis',
    stream: kinesis.Stream.fromStreamArn(stack, 'Stream', ARN.replace('%s', 'kinesis').replace('%s', 'stream/orders')),
    processor: lambda.Function.fromFunctionArn(stack, 'Fn', ARN.replace('%s', 'lambda').replace('%s', 'function:p')),
    eventSourceMappingId: '11111111-2222-3333-4444-555555555555',
    queues: {
      rejected: sqs.Queue.fromQueueArn(stack, 'Rejected', ARN.replace('%s', 'sqs').replace('%s', 'rejected')),
      late: sqs.Queue.fromQueueArn(stack, 'Late', ARN.replace('%s', 'sqs').replace('%s', 'late')),
      failed: sqs.Queue.fromQueueArn(stack, 'Failed', ARN.replace('%s', 'sqs').replace('%s', 'failed')),
    },
    tables: [dynamodb.Table.fromTableName(stack, 'State', 'orders-state')],
    ...overrides,
  };
}

describe('PipelineMonitoring', () => {
  it('notifies one KMS-encrypted topic from alarms named streamfold-<pipeline>-*, with a dashboard', () => {
    const stack = bareStack();
    const monitoring = new PipelineMonitoring(stack, 'Monitoring', props(stack, { alarmEmail: 'ops@example.com' }));
    const t = templateOf(stack);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { AlarmName: string; AlarmActions: unknown[] };
    }[];
    expect(alarms.length).toBeGreaterThan(5);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmName).toMatch(/^streamfold-orders-/);
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    }
    // CloudWatch may use the key only for this pipeline's alarms, in this account.
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CloudWatchAlarmsOfThisPipeline',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '123456789012' } }),
          }),
        ]),
      },
    });
    expect(monitoring.thresholds).toEqual(DEFAULT_ALARM_THRESHOLDS);
  });

  it('alarms on the iterator age for Kinesis and on the offset lag for MSK, at the given thresholds', () => {
    const kinesisStack = bareStack();
    new PipelineMonitoring(kinesisStack, 'M', props(kinesisStack, { thresholds: { iteratorAgeMs: 30_000 } }));
    const kinesisAlarms = JSON.stringify(templateOf(kinesisStack).findResources('AWS::CloudWatch::Alarm'));
    expect(kinesisAlarms).toContain('IteratorAge');
    expect(kinesisAlarms).toContain('"Threshold":30000');
    expect(kinesisAlarms).not.toContain('OffsetLag');

    const mskStack = bareStack();
    new PipelineMonitoring(mskStack, 'M', props(mskStack, { sourceKind: 'msk', stream: undefined }));
    const mskAlarms = JSON.stringify(templateOf(mskStack).findResources('AWS::CloudWatch::Alarm'));
    expect(mskAlarms).toContain('OffsetLag');
  });

  it('uses a given topic instead of creating one', () => {
    const stack = bareStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Ops', ARN.replace('%s', 'sns').replace('%s', 'ops'));
    const monitoring = new PipelineMonitoring(stack, 'M', props(stack, { topic }));
    templateOf(stack).resourceCountIs('AWS::SNS::Topic', 0);
    expect(monitoring.topic).toBe(topic);
  });

  it.each([
    [{ thresholds: { iteratorAgeMs: -1 } }, /alarmThresholds.iteratorAgeMs.*-1/],
    [{ thresholds: { latePercent: Number.NaN } }, /alarmThresholds.latePercent.*NaN/],
    [
      { thresholds: { deliverySuccessRatio: 1.5 } },
      /alarmThresholds.deliverySuccessRatio: expected a ratio from 0 to 1, got 1.5/,
    ],
    [{ alarmEmail: 'not-an-address' }, /alarmEmail.*"not-an-address"/],
  ])('fails if %o', (overrides, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const build = () => {
      const stack = bareStack();
      return new PipelineMonitoring(stack, 'M', props(stack, overrides as Partial<PipelineMonitoringProps>));
    };
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
