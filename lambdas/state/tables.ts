import type { CreateTableCommandInput, UpdateTimeToLiveCommandInput } from '@aws-sdk/client-dynamodb';

import { DEDUPE_ATTR, STATE_ATTR, TTL_ATTRIBUTE } from '../../core/table-layout';

/** The table layout (core/table-layout.ts) and the local CreateTable inputs built from it. */
export {
  CHECKPOINT_PARTITION,
  CHECKPOINT_SORT_PREFIX,
  CLAIM_SORT_PREFIX,
  DEDUPE_ATTR,
  DUE_PARTITION_PREFIX,
  DUE_PARTITIONS,
  ID_KEY_ATTRIBUTE,
  ID_KEY_SORT_KEY,
  LAYOUT_PARTITION,
  LAYOUT_SORT_PREFIX,
  META_PARTITION,
  STATE_ATTR,
  STATE_SORT_KEY,
  TTL_ATTRIBUTE,
} from '../../core/table-layout';

/** Stream view of the state table read by the emitter. */
export type StateStreamView = 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES';

/**
 * CreateTable input of the state table: `pk` (S) hash, `sk` (S) range, on-demand, with a DynamoDB stream for the
 * emitter (default NEW_AND_OLD_IMAGES; `false` for none).
 */
export function stateTableInput(
  tableName: string,
  options: { stream?: StateStreamView | false } = {},
): CreateTableCommandInput {
  const stream = options.stream ?? 'NEW_AND_OLD_IMAGES';
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: STATE_ATTR.pk, AttributeType: 'S' },
      { AttributeName: STATE_ATTR.sk, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: STATE_ATTR.pk, KeyType: 'HASH' },
      { AttributeName: STATE_ATTR.sk, KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream } } : {}),
  };
}

/** CreateTable input of the dedupe table: `pk` (S) hash key only, on-demand, no stream. */
export function dedupeTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [{ AttributeName: DEDUPE_ATTR.pk, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: DEDUPE_ATTR.pk, KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** UpdateTimeToLive input enabling TTL on {@link TTL_ATTRIBUTE} (both tables). */
export function ttlInput(tableName: string): UpdateTimeToLiveCommandInput {
  return { TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } };
}
