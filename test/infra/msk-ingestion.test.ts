/** MskIngestion alone: a created MSK Serverless cluster or an existing one by ARN, the producer policy, and checks. */
import * as iam from 'aws-cdk-lib/aws-iam';
import { describe, expect, it } from 'vitest';
import { MSK_IAM_PORT, MskIngestion, SettingError } from '../../lib';
import { bareStack, templateOf } from './construct-fixture';

const EXISTING = 'arn:aws:kafka:eu-west-1:123456789012:cluster/clicks/0b4f2c2e-1111-2222-3333-444455556666-1';

describe('MskIngestion', () => {
  it('creates an IAM-auth MSK Serverless cluster in a VPC, the topic, and a security group open to itself only', () => {
    const stack = bareStack();
    const msk = new MskIngestion(stack, 'Msk', { clusterName: 'clicks', topic: 'clicks.v1', partitions: 12 });
    const t = templateOf(stack);
    t.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClusterName: 'clicks',
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
    t.hasResourceProperties('AWS::MSK::Topic', { TopicName: 'clicks.v1', PartitionCount: 12, ReplicationFactor: 3 });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: MSK_IAM_PORT, ToPort: MSK_IAM_PORT });
    t.resourceCountIs('AWS::EC2::FlowLog', 1);
    expect(msk.created).toBe(true);
    expect(msk.vpc).toBeDefined();
    expect(msk.producerRole).toBeUndefined();
  });

  it('uses an existing cluster by ARN: no cluster, VPC or topic created; the producer policy names its topic', () => {
    const stack = bareStack();
    const msk = new MskIngestion(stack, 'Msk', {
      clusterName: 'ignored',
      topic: 'clicks',
      clusterArn: EXISTING,
      producerPrincipal: new iam.AccountPrincipal('210987654321'),
    });
    const t = templateOf(stack);
    t.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    t.resourceCountIs('AWS::MSK::Topic', 0);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    expect(msk.created).toBe(false);
    expect(msk.clusterArn).toBe(EXISTING);
    const policy = JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(policy).toContain('kafka-cluster:WriteData');
    expect(policy).toContain(':topic/clicks/0b4f2c2e-1111-2222-3333-444455556666-1/clicks');
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::210987654321:root']] } } },
        ],
      },
    });
  });

  it.each([
    [{ topic: 'bad topic' }, /mskTopic.*"bad topic"/],
    [{ topic: 't', partitions: 0 }, /mskPartitions.*0/],
    [
      { topic: 't', clusterArn: 'arn:aws:kafka:eu-west-1:1:cluster/x' },
      /mskClusterArn.*arn:aws:kafka:eu-west-1:1:cluster\/x/,
    ],
  ])('fails if %o', (props, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const build = () => new MskIngestion(bareStack(), 'Msk', { clusterName: 'c', ...props });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
