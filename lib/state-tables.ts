import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  CHECKPOINT_PARTITION,
  DEDUPE_ATTR,
  META_PARTITION,
  STATE_ATTR,
  STATE_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../core/table-layout';

/** Key and TTL attributes of the tables (from the one table layout, core/table-layout.ts). */
export const TABLE_ATTRIBUTES = {
  pk: STATE_ATTR.pk,
  sk: STATE_ATTR.sk,
  ttl: TTL_ATTRIBUTE,
  nextClose: STATE_ATTR.nextClose,
} as const;

/** Sort key value of window-state records. */
export const STATE_RECORD_SORT_KEY = STATE_SORT_KEY;

/** Partition key value of the per-source checkpoints in the state table. */
export const STATE_CHECKPOINT_PARTITION = CHECKPOINT_PARTITION;

/** Partition key value of the state table's internal items, e.g. the id key of alert and result ids. */
export const STATE_META_PARTITION = META_PARTITION;

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
      partitionKey: { name: DEDUPE_ATTR.pk, type: dynamodb.AttributeType.STRING },
    });
  }
}
