import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import { mskResourceArn } from './msk-arns';
import { acknowledgeWildcardResources } from './nag-acknowledgements';

/** What a Firehose delivery stream reads. */
export type DeliverySource =
  | { readonly kind: 'kinesis'; readonly stream: kinesis.IStream }
  | { readonly kind: 'msk'; readonly clusterArn: string; readonly topic: string };

/**
 * The source part of a CfnDeliveryStream's props for `source`, granting `role` what Firehose needs to read it.
 * MSK sources use private connectivity: the cluster needs IAM auth, multi-VPC private connectivity for IAM (so not
 * MSK Serverless), and the cluster policy of {@link firehoseMskClusterPolicy}.
 */
export function firehoseSourceProps(
  source: DeliverySource,
  role: iam.IRole,
): Pick<
  firehose.CfnDeliveryStreamProps,
  'deliveryStreamType' | 'kinesisStreamSourceConfiguration' | 'mskSourceConfiguration'
> {
  if (source.kind === 'kinesis') {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'kinesis:DescribeStream',
          'kinesis:DescribeStreamSummary',
          'kinesis:GetShardIterator',
          'kinesis:GetRecords',
          'kinesis:ListShards',
        ],
        resources: [source.stream.streamArn],
      }),
    );
    return {
      deliveryStreamType: 'KinesisStreamAsSource',
      kinesisStreamSourceConfiguration: { kinesisStreamArn: source.stream.streamArn, roleArn: role.roleArn },
    };
  }
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'kafka:GetBootstrapBrokers',
        'kafka:DescribeCluster',
        'kafka:DescribeClusterV2',
        'kafka-cluster:Connect',
      ],
      resources: [source.clusterArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [
        'kafka-cluster:DescribeTopic',
        'kafka-cluster:DescribeTopicDynamicConfiguration',
        'kafka-cluster:ReadData',
      ],
      resources: [mskResourceArn(source.clusterArn, 'topic', source.topic)],
    }),
  );
  const groups = mskResourceArn(source.clusterArn, 'group', '*');
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['kafka-cluster:DescribeGroup'], resources: [groups] }));
  acknowledgeWildcardResources(
    role,
    [groups],
    'Firehose names its own Kafka consumer group; only DescribeGroup is allowed on the groups of this one cluster.',
  );
  return {
    deliveryStreamType: 'MSKAsSource',
    mskSourceConfiguration: {
      mskClusterArn: source.clusterArn,
      topicName: source.topic,
      authenticationConfiguration: { connectivity: 'PRIVATE', roleArn: role.roleArn },
    },
  };
}

/**
 * The cluster policy (resource-based policy of the MSK cluster) that lets Firehose create the managed VPC connection
 * it reads a private cluster through, as AWS documents it for MSK sources. Firehose also needs the cluster's multi-VPC
 * private connectivity turned on for IAM. An existing cluster's owner applies it (`aws kafka put-cluster-policy`):
 * a cluster has one policy, which the stack must not overwrite or delete.
 */
export function firehoseMskClusterPolicy(clusterArn: string): iam.PolicyDocument {
  return new iam.PolicyDocument({
    statements: [
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('firehose.amazonaws.com')],
        actions: ['kafka:CreateVpcConnection'],
        resources: [clusterArn],
      }),
    ],
  });
}
