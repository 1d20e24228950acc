import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { type Checkpoint, checkpointKey, fromCheckpointItem, toCheckpointItem } from './codec';
import { InvalidSourceIdError } from './errors';
import { type BackoffOptions, callWithRetry, classifyError } from './retry';
import { canonicalSequence, compareSequence, type SequenceInput } from './sequence';
import { CHECKPOINT_PARTITION, CHECKPOINT_SORT_PREFIX, STATE_ATTR } from './tables';
import { type CapacityUsage, UsageMeter } from './usage';

/** Outcome of {@link CheckpointStore.put}. */
export interface PutCheckpointResult {
  /** 'written', or 'stale' when the stored checkpoint was already at or past this sequence (not an error). */
  status: 'written' | 'stale';
  /** The checkpoint now stored (ours when written, the newer one when stale). */
  checkpoint: Checkpoint;
}

/** Options of {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** The state table (checkpoints live beside the state records). */
  tableName: string;
  /** Extra attempts after a throttle or transient error. @default 2 */
  maxRetries?: number;
  backoff?: BackoffOptions;
  now?: () => number;
  /** Shared usage meter (the StateStore passes its own). */
  usage?: UsageMeter;
}

/** Per-source checkpoints (last committed sequence + stream time) that only move forward. */
export class CheckpointStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #maxRetries: number;
  readonly #backoff: BackoffOptions | undefined;
  readonly #now: () => number;
  readonly #cache = new Map<string, Checkpoint>();
  readonly #usage: UsageMeter;

  constructor(options: CheckpointStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#backoff = options.backoff;
    this.#now = options.now ?? Date.now;
    this.#usage = options.usage ?? new UsageMeter();
  }

  /** Capacity used since the last call (and reset). */
  takeUsage(): CapacityUsage {
    return this.#usage.take();
  }

  /**
   * The checkpoint of `sourceId`, or undefined when none was written. Served from the in-memory cache when known
   * (this instance wrote or read it); otherwise, or with `{ consistent: true }`, a consistent GetItem.
   */
  async get(sourceId: string, options: { consistent?: boolean } = {}): Promise<Checkpoint | undefined> {
    checkSource(sourceId);
    const cached = this.#cache.get(sourceId);
    if (cached && !options.consistent) return cached;
    const out = await callWithRetry(
      'GetItem (checkpoint)',
      () =>
        this.#client.send(
          new GetItemCommand({
            TableName: this.#table,
            Key: checkpointKey(sourceId),
            ConsistentRead: true,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      { maxRetries: this.#maxRetries, backoff: this.#backoff },
    );
    this.#usage.read(out.ConsumedCapacity?.CapacityUnits ?? 1);
    const checkpoint = fromCheckpointItem(out.Item);
    if (checkpoint) this.#cache.set(sourceId, checkpoint);
    else this.#cache.delete(sourceId);
    return checkpoint;
  }

  /**
   * Move the checkpoint of `sourceId` forward to `sequence` with `streamTime`: a conditional put
   * (`attribute_not_exists(pk) OR seq < :seq`). When the stored one is already at or past `sequence`, nothing is
   * written and the result is 'stale'. Throttles/transient errors: bounded retry, then StoreCallFailedError.
   */
  async put(sourceId: string, next: { sequence: SequenceInput; streamTime: number }): Promise<PutCheckpointResult> {
    checkSource(sourceId);
    const checkpoint: Checkpoint = {
      sourceId,
      sequence: canonicalSequence(next.sequence),
      streamTime: next.streamTime,
      updatedAt: this.#now(),
    };
    const cached = this.#cache.get(sourceId);
    if (cached && compareSequence(cached.sequence, checkpoint.sequence) >= 0) {
      return { status: 'stale', checkpoint: cached };
    }
    const item = toCheckpointItem(checkpoint);
    try {
      const out = await callWithRetry(
        'PutItem (checkpoint)',
        () =>
          this.#client.send(
            new PutItemCommand({
              TableName: this.#table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(#pk) OR #seq < :seq',
              ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#seq': STATE_ATTR.sequence },
              ExpressionAttributeValues: { ':seq': item[STATE_ATTR.sequence]! },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        { maxRetries: this.#maxRetries, backoff: this.#backoff },
      );
      this.#usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
      this.#cache.set(sourceId, checkpoint);
      return { status: 'written', checkpoint };
    } catch (error) {
      if (classifyError(error) !== 'conditional') throw error;
      this.#usage.write(1); // a failed conditional write is still charged
      const current = fromCheckpointItem((error as { Item?: Record<string, AttributeValue> }).Item) ?? checkpoint;
      this.#cache.set(sourceId, current);
      // Equal sequence: our own earlier attempt landed although it reported an error (unknown outcome).
      return {
        status: compareSequence(current.sequence, checkpoint.sequence) === 0 ? 'written' : 'stale',
        checkpoint: current,
      };
    }
  }

  /** Every checkpoint in the table (one consistent Query, paginated), e.g. to compute the watermark. */
  async list(): Promise<Checkpoint[]> {
    const result: Checkpoint[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await callWithRetry(
        'Query (checkpoints)',
        () =>
          this.#client.send(
            new QueryCommand({
              TableName: this.#table,
              KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
              ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#sk': STATE_ATTR.sk },
              ExpressionAttributeValues: {
                ':pk': { S: CHECKPOINT_PARTITION },
                ':prefix': { S: CHECKPOINT_SORT_PREFIX },
              },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        { maxRetries: this.#maxRetries, backoff: this.#backoff },
      );
      this.#usage.read(out.ConsumedCapacity?.CapacityUnits ?? 0);
      for (const item of out.Items ?? []) {
        const checkpoint = fromCheckpointItem(item);
        if (checkpoint) result.push(checkpoint);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return result;
  }
}

function checkSource(sourceId: string): void {
  if (typeof sourceId !== 'string' || sourceId.length === 0) throw new InvalidSourceIdError(sourceId);
}
