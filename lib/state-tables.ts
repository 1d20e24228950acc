import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Key and TTL attributes of the tables. They must equal `STATE_ATTR`/`DEDUPE_ATTR`/`TTL_ATTRIBUTE` of
 * lambdas/state/tables.ts (lib/ does not import runtime code; test/infra checks they agree).
 */
export const TABLE_ATTRIBUTES = { pk: 'pk', sk: 'sk', ttl: 'ttl', nextClose: 'nc' } as const;

/** Sort key value of window-state records (equals `STATE_SORT_KEY` of lambdas/state/tables.ts). */
export const STATE_RECORD_SORT_KEY = 'state';

/**
 * Partition key value of the per-source checkpoints in the state table (equals `CHECKPOINT_PARTITION` of
 * lambdas/state/tables.ts; test/infra checks they agree).
 */
export const STATE_CHECKPOINT_PARTITION = '#checkpoints';

/**
 * Partition key value of the state table's internal items, e.g. the id key of alert and result ids (equals
 * `META_PARTITION` of lambdas/state/tables.ts; test/infra checks they agree).
 */
export const STATE_META_PARTITION = '#meta';

/** Props of {@link StateTables}. */
export interface StateTablesProps {
  /** Name of the window-state table (see `resourceNames(pipeline).stateTable`). */
  readonly stateTableName: string;
  /** Name of the dedupe (idempotency) table (see `resourceNames(pipeline).dedupeTable`). */
  readonly dedupeTableName: string;
  /**
   * What happens to the tables when they leave the stack. With RETAIN, deletion protection is on as well.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for the tables (and the state table's stream). Whoever reads or writes items then needs the
   * key's decrypt (and, to write, encrypt) permissions: see `grantItemActions`.
   * @default - the AWS-managed key (aws/dynamodb)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The window-state table (`pk`/`sk`, TTL `ttl`, stream NEW_AND_OLD_IMAGES for the emitter) and the dedupe table
 * (`pk`, TTL `ttl`): on-demand, point-in-time recovery, KMS encryption.
 */
export class StateTables extends Construct {
  /** Window state and per-source checkpoints. */
  readonly stateTable: dynamodb.Table;
  /** Idempotency keys of the dedupe ids, and the emitter's delivery markers. */
  readonly dedupeTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StateTablesProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_ATTRIBUTES.ttl,
      removalPolicy,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      ...(props.encryptionKey
        ? { encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED, encryptionKey: props.encryptionKey }
        : { encryption: dynamodb.TableEncryption.AWS_MANAGED }),
    };
    this.stateTable = new dynamodb.Table(this, 'State', {
      ...common,
      tableName: props.stateTableName,
      partitionKey: { name: TABLE_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_ATTRIBUTES.sk, type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    });
    this.dedupeTable = new dynamodb.Table(this, 'Dedupe', {
      ...common,
      tableName: props.dedupeTableName,
      partitionKey: { name: TABLE_ATTRIBUTES.pk, type: dynamodb.AttributeType.STRING },
    });
  }
}
