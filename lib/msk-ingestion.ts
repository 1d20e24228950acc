import { Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { SettingError } from '../core/errors';
import { createLogGroup, type LogGroupOptions } from './log-groups';
import { mskResourceArn } from './msk-arns';
import { checkInteger } from './validate';

/** Port of MSK brokers with IAM access control. */
export const MSK_IAM_PORT = 9098;

/** Props of {@link MskIngestion}. */
export interface MskIngestionProps {
  /** Name of the cluster to create (ignored with `clusterArn`). */
  readonly clusterName: string;
  /** Topic the producers write and the processor reads. */
  readonly topic: string;
  /**
   * An existing MSK cluster (provisioned or serverless) with IAM access control, by ARN. The topic must exist.
   * @default - an MSK Serverless cluster with IAM auth is created in `vpc`, with the topic
   */
  readonly clusterArn?: string;
  /**
   * VPC of the created cluster.
   * @default - a new VPC over 2 AZs with one NAT gateway (the Lambda event source pollers reach Lambda and STS through it)
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Partitions of the created topic.
   * @default 6
   */
  readonly partitions?: number;
  /**
   * Who may assume the producer role (a role or user ARN, another account, a web identity...). The role's only
   * permissions are {@link MskIngestion.producerPolicy}.
   * @default - no producer role: attach the managed policy to your producers' own roles
   */
  readonly producerPrincipal?: iam.IPrincipal;
  /**
   * Log group of the created VPC's flow logs (`<namePrefix>vpc-flow-logs`).
   * @default - a generated name, CloudWatch Logs' own encryption, RETAIN, one month
   */
  readonly logGroups?: LogGroupOptions;
}

const CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/**
 * Amazon MSK ingestion: an MSK Serverless cluster with IAM auth in a VPC (or an existing cluster by ARN), the topic,
 * a producer policy that producers' roles attach, and a role with it for `producerPrincipal` when one is given.
 */
export class MskIngestion extends Construct {
  /** ARN of the cluster. */
  readonly clusterArn: string;
  /** The topic name. */
  readonly topic: string;
  /** The VPC of the created cluster; undefined for an existing cluster. */
  readonly vpc?: ec2.IVpc;
  /** Security group of the created cluster (allows itself on the IAM port); undefined for an existing cluster. */
  readonly securityGroup?: ec2.ISecurityGroup;
  /** Managed policy allowing producers to connect and write the topic. */
  readonly producerPolicy: iam.ManagedPolicy;
  /** A role with {@link producerPolicy} that `producerPrincipal` may assume (none without a producer principal). */
  readonly producerRole?: iam.Role;
  /** True when the cluster was created by this construct. */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: MskIngestionProps) {
    super(scope, id);
    if (!TOPIC.test(props.topic)) {
      throw new SettingError('mskTopic', props.topic, "a Kafka topic name (1-249 of letters, digits, '.', '_', '-')");
    }
    const partitions = checkInteger('mskPartitions', props.partitions ?? 6, 1, 2400);
    this.topic = props.topic;

    if (props.clusterArn !== undefined) {
      if (!CLUSTER_ARN.test(props.clusterArn)) {
        throw new SettingError(
          'mskClusterArn',
          props.clusterArn,
          'an MSK cluster ARN like arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>',
        );
      }
      this.clusterArn = props.clusterArn;
      this.created = false;
    } else {
      const vpc =
        props.vpc ??
        new ec2.Vpc(this, 'Vpc', {
          maxAzs: 2,
          natGateways: 1,
          subnetConfiguration: [
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
            { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
          ],
          flowLogs: {
            all: {
              destination: ec2.FlowLogDestination.toCloudWatchLogs(
                createLogGroup(this, 'FlowLogs', 'vpc-flow-logs', props.logGroups),
              ),
            },
          },
        });
      const securityGroup = new ec2.SecurityGroup(this, 'ClusterSecurityGroup', {
        vpc,
        description: `MSK Serverless ${props.clusterName}: IAM-auth brokers, reachable from members of this group`,
        allowAllOutbound: true,
      });
      securityGroup.addIngressRule(securityGroup, ec2.Port.tcp(MSK_IAM_PORT), 'Kafka IAM auth from members');
      const cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
        clusterName: props.clusterName,
        clientAuthentication: { sasl: { iam: { enabled: true } } },
        vpcConfigs: [
          {
            subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
            securityGroups: [securityGroup.securityGroupId],
          },
        ],
      });
      new msk.CfnTopic(this, 'Topic', {
        clusterArn: cluster.attrArn,
        topicName: props.topic,
        partitionCount: partitions,
        replicationFactor: 3,
      });
      this.clusterArn = cluster.attrArn;
      this.vpc = vpc;
      this.securityGroup = securityGroup;
      this.created = true;
      Validations.of(securityGroup).acknowledge({
        id: 'AwsSolutions-EC23',
        reason: 'Ingress is only from the security group itself on the Kafka IAM port, not from 0.0.0.0/0.',
      });
    }

    this.producerPolicy = new iam.ManagedPolicy(this, 'ProducerPolicy', {
      description: `Lets producers write to the MSK topic ${props.topic}`,
      statements: [
        new iam.PolicyStatement({
          actions: ['kafka-cluster:Connect', 'kafka-cluster:WriteDataIdempotently'],
          resources: [this.clusterArn],
        }),
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          resources: [mskResourceArn(this.clusterArn, 'topic', props.topic)],
        }),
      ],
    });
    if (props.producerPrincipal) {
      this.producerRole = new iam.Role(this, 'ProducerRole', {
        assumedBy: props.producerPrincipal,
        description: `Producers of the MSK topic ${props.topic}: assume this role to write events`,
        managedPolicies: [this.producerPolicy],
      });
    }
  }
}
