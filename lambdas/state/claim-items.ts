import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type BackoffOptions, backoff, storeCall } from './retry';
import { CLAIM_SORT_PREFIX, STATE_ATTR } from './tables';
import type { UsageMeter } from './usage';

type Item = Record<string, AttributeValue>;

/** Options of {@link ClaimItems}. */
export interface ClaimItemsOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The state table (claim items sit under the key's partition, sort key `d#<bucket>`). */
  readonly tableName: string;
  readonly usage: UsageMeter;
  readonly backoff?: BackoffOptions;
  readonly now: () => number;
  /**
   * How long a claim item lives after its last spill: a safety net for items whose delete after pruning failed
   * (a bucket still listed in its key's state is read from here; its claims are kept as long as they can matter).
   * @default 30 days
   */
  readonly ttlMs?: number;
}

/** Primary key of the claim item of `key` and `bucket`. */
export function claimItemKey(key: string, bucket: number): Item {
  return { [STATE_ATTR.pk]: { S: key }, [STATE_ATTR.sk]: { S: `${CLAIM_SORT_PREFIX}${bucket}` } };
}

const toBytes = (hash: string) => Buffer.from(hash, 'base64url');
const toHash = (bytes: Uint8Array | string) =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'base64') : Buffer.from(bytes)).toString('base64url');

/**
 * A hot key's dedupe claims moved out of its state item (docs/architecture.md §2.6: a key's state must not outgrow its item):
 * one item per (key, bucket) holding the 8-byte id hashes as a binary set. Spilling only ever moves claims that are
 * already committed in the state item, with `ADD` (a set union, so a repeated or concurrent spill loses nothing); the
 * state item's list of spilled buckets, written after the spill landed, is what makes them count.
 */
export class ClaimItems {
  readonly #o: ClaimItemsOptions;

  constructor(options: ClaimItemsOptions) {
    this.#o = options;
  }

  /** The claims of `buckets` of `key` (consistent reads); a bucket with no item has an empty set. */
  async read(key: string, buckets: readonly number[]): Promise<Map<number, Set<string>>> {
    const out = new Map<number, Set<string>>(buckets.map((b) => [b, new Set<string>()]));
    let pending = [...new Set(buckets)].map((b) => claimItemKey(key, b));
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await backoff(round - 1, this.#o.backoff);
      if (round >= 6) throw new Error(`${pending.length} claim item(s) of key ${JSON.stringify(key)} unprocessed`);
      const chunk = pending.slice(0, 100);
      const result = await storeCall('BatchGetItem (claims)', () =>
        this.#o.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.#o.tableName]: { Keys: chunk, ConsistentRead: true } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      this.#o.usage.read((result.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0));
      for (const item of result.Responses?.[this.#o.tableName] ?? []) {
        const bucket = Number(item[STATE_ATTR.sk]?.S?.slice(CLAIM_SORT_PREFIX.length));
        const set = out.get(bucket);
        if (!set) continue;
        for (const bytes of item[STATE_ATTR.claims]?.BS ?? []) set.add(toHash(bytes));
      }
      pending = [...pending.slice(100), ...(result.UnprocessedKeys?.[this.#o.tableName]?.Keys ?? [])];
    }
    return out;
  }

  /** Add committed claims of `bucket` to its claim item (union; refreshes its TTL). */
  async spill(key: string, bucket: number, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    const ttl = Math.ceil((this.#o.now() + (this.#o.ttlMs ?? 30 * 86_400_000)) / 1000);
    const out = await storeCall('UpdateItem (claims)', () =>
      this.#o.client.send(
        new UpdateItemCommand({
          TableName: this.#o.tableName,
          Key: claimItemKey(key, bucket),
          UpdateExpression: 'ADD #h :h SET #ttl = :ttl',
          ExpressionAttributeNames: { '#h': STATE_ATTR.claims, '#ttl': STATE_ATTR.ttl },
          ExpressionAttributeValues: { ':h': { BS: hashes.map(toBytes) }, ':ttl': { N: String(ttl) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.#o.usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
  }

  /** Delete the claim items of buckets no longer listed (best effort: a leftover item expires by TTL). */
  async drop(key: string, buckets: readonly number[]): Promise<void> {
    for (let i = 0; i < buckets.length; i += 25) {
      const requests = buckets.slice(i, i + 25).map((b) => ({ DeleteRequest: { Key: claimItemKey(key, b) } }));
      const out = await storeCall('BatchWriteItem (claims)', () =>
        this.#o.client.send(
          new BatchWriteItemCommand({
            RequestItems: { [this.#o.tableName]: requests },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      this.#o.usage.write((out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0));
    }
  }
}
