import { randomBytes } from 'node:crypto';
import { type DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed, storeCall } from '../state/retry';
import { ID_KEY_ATTRIBUTE, ID_KEY_SORT_KEY, META_PARTITION, STATE_ATTR } from '../state/tables';
import { IdKeyError } from './errors';

/** Bytes of an id key. */
export const ID_KEY_BYTES = 32;

/** One DynamoDB call made by {@link loadIdKey} (for cost metering). */
export interface IdKeyCall {
  readonly operation: 'GetItem' | 'PutItem';
  /** Capacity as AWS bills it: a consistent GetItem costs 1 read unit found or not; a failed conditional put 1 write. */
  readonly readUnits: number;
  readonly writeUnits: number;
}

/** Options of {@link loadIdKey}. */
export interface LoadIdKeyOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The pipeline's state table. */
  readonly tableName: string;
  /** Told of each DynamoDB call (none when the key comes from this container's cache). */
  readonly onCall?: (call: IdKeyCall) => void;
}

/** Per client and table: the key, loaded once per container. A failed load is forgotten (the next call tries again). */
const cache = new WeakMap<object, Map<string, Promise<Uint8Array>>>();

/**
 * The pipeline's id key: the secret that makes alert and result ids ({@link alertId}, {@link resultId}) keyed hashes,
 * not guessable from outside. It is 32 random bytes in an internal item of the state table (pk `#meta`, sk `id-key`,
 * see {@link META_PARTITION}), created by whoever needs it first with a conditional put (`attribute_not_exists`) and
 * read back on a conflict, so every emitter, closer, query and test of a pipeline computes the same ids. Read once per
 * container (consistent GetItem) and cached per client and table.
 *
 * @throws IdKeyError when the item exists but holds no valid key, or DynamoDB fails after the SDK's retries.
 */
export function loadIdKey(options: LoadIdKeyOptions): Promise<Uint8Array> {
  const byTable = cache.get(options.client) ?? new Map<string, Promise<Uint8Array>>();
  cache.set(options.client, byTable);
  const cached = byTable.get(options.tableName);
  if (cached) return cached;
  const loading = fetchOrCreate(options);
  byTable.set(options.tableName, loading);
  loading.catch(() => byTable.delete(options.tableName));
  return loading;
}

async function fetchOrCreate(options: LoadIdKeyOptions): Promise<Uint8Array> {
  const key = { [STATE_ATTR.pk]: { S: META_PARTITION }, [STATE_ATTR.sk]: { S: ID_KEY_SORT_KEY } };
  const read = async (): Promise<Uint8Array | undefined> => {
    const out = await storeCall('GetItem (id key)', () =>
      options.client.send(new GetItemCommand({ TableName: options.tableName, Key: key, ConsistentRead: true })),
    ).catch((error) => {
      throw new IdKeyError(options.tableName, 'could not be read', { cause: error });
    });
    options.onCall?.({ operation: 'GetItem', readUnits: 1, writeUnits: 0 });
    if (!out.Item) return undefined;
    const secret = out.Item[ID_KEY_ATTRIBUTE]?.B;
    if (!secret || secret.length !== ID_KEY_BYTES) {
      throw new IdKeyError(options.tableName, `holds no ${ID_KEY_BYTES}-byte binary attribute "${ID_KEY_ATTRIBUTE}"`);
    }
    return secret;
  };
  const found = await read();
  if (found) return found;
  const secret = new Uint8Array(randomBytes(ID_KEY_BYTES));
  try {
    await storeCall('PutItem (id key)', () =>
      options.client.send(
        new PutItemCommand({
          TableName: options.tableName,
          Item: { ...key, [ID_KEY_ATTRIBUTE]: { B: secret }, [STATE_ATTR.updatedAt]: { N: String(Date.now()) } },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATE_ATTR.pk },
        }),
      ),
    );
    options.onCall?.({ operation: 'PutItem', readUnits: 0, writeUnits: 1 });
    return secret;
  } catch (error) {
    if (!isConditionalCheckFailed(error)) {
      throw new IdKeyError(options.tableName, 'could not be created', { cause: error });
    }
    // Another container created it first (or a retried put of ours landed): theirs is the key.
    options.onCall?.({ operation: 'PutItem', readUnits: 0, writeUnits: 1 });
    const winner = await read();
    if (!winner) throw new IdKeyError(options.tableName, 'was created concurrently but cannot be read back');
    return winner;
  }
}
