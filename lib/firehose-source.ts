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
 * MSK sources use private connectivity: the cluster needs IAM auth, multi-VPC private connectivity, and a cluster
 * policy letting firehose.amazonaws.com create the VPC connection.
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
