import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as timestream from 'aws-cdk-lib/aws-timestream';
import { Construct } from 'constructs';
import { checkInteger } from './validate';

/** Props of {@link TimestreamSink}. */
export interface TimestreamSinkProps {
  /** Database name. */
  readonly databaseName: string;
  /** Customer-managed key encrypting the database. */
  readonly encryptionKey: kms.IKey;
  /**
   * Table of the window results.
   * @default 'window_results'
   */
  readonly tableName?: string;
  /**
   * Hours kept in the memory store (1-8766); late window results older than this go to the magnetic store.
   * @default 24
   */
  readonly memoryStoreRetentionHours?: number;
  /**
   * Days kept in the magnetic store (1-73000).
   * @default 365
   */
  readonly magneticStoreRetentionDays?: number;
  /**
   * What happens to the database and table when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Optional sink for final window results in Amazon Timestream for LiveAnalytics. Off by default: the service is
 * closed to new customers since 2025-06-20, so only accounts already using it can deploy this. The emitter Lambda
 * (a later issue) writes here through {@link grantWrite}.
 */
export class TimestreamSink extends Construct {
  readonly databaseName: string;
  readonly tableName: string;
  /** ARN of the table. */
  readonly tableArn: string;

  constructor(scope: Construct, id: string, props: TimestreamSinkProps) {
    super(scope, id);
    const memory = checkInteger('memoryStoreRetentionHours', props.memoryStoreRetentionHours ?? 24, 1, 8766);
    const magnetic = checkInteger('magneticStoreRetentionDays', props.magneticStoreRetentionDays ?? 365, 1, 73_000);
    this.databaseName = props.databaseName;
    this.tableName = props.tableName ?? 'window_results';
    const database = new timestream.CfnDatabase(this, 'Database', {
      databaseName: this.databaseName,
      kmsKeyId: props.encryptionKey.keyArn,
    });
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3697',
      reason:
        'Timestream for LiveAnalytics is in maintenance mode (closed to new customers since 2025-06-20): this sink is ' +
        'off by default and only for accounts that already use Timestream.',
    });
    const table = new timestream.CfnTable(this, 'Table', {
      databaseName: this.databaseName,
      tableName: this.tableName,
      retentionProperties: {
        MemoryStoreRetentionPeriodInHours: String(memory),
        MagneticStoreRetentionPeriodInDays: String(magnetic),
      },
      magneticStoreWriteProperties: { EnableMagneticStoreWrites: true },
    });
    table.node.addDependency(database);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    database.applyRemovalPolicy(removalPolicy);
    table.applyRemovalPolicy(removalPolicy);
    this.tableArn = table.attrArn;
  }

  /** Lets `grantee` write records to the table (WriteRecords needs DescribeEndpoints on `*`). */
  grantWrite(grantee: iam.IGrantable): iam.Grant {
    iam.Grant.addToPrincipal({ grantee, actions: ['timestream:DescribeEndpoints'], resourceArns: ['*'] });
    return iam.Grant.addToPrincipal({ grantee, actions: ['timestream:WriteRecords'], resourceArns: [this.tableArn] });
  }
}
