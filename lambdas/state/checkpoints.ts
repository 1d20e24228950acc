import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { type Checkpoint, checkpointKey, fromCheckpointItem, toCheckpointItem } from './codec';
import { InvalidSourceIdError, StaleCheckpointError } from './errors';
import { isConditionalCheckFailed, storeCall } from './retry';
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
  now?: () => number;
  /** Shared usage meter (the StateStore passes its own). */
  usage?: UsageMeter;
}

/** What a checkpoint write says about the batch it closes. */
export interface CheckpointInput {
  /** Last sequence whose effects are all committed. */
  readonly sequence: SequenceInput;
  /** Stream time after that record (−1 when the source has seen no valid record yet). */
  readonly streamTime: number;
  /** Wall-clock time of the last batch holding a valid record; idleness is judged on it. */
  readonly lastValidAt?: number;
  /** Largest arrival time of the records covered (telling a restarted sequence from a redelivery). */
  readonly arrivalMs?: number;
  /** Incarnation of the source: bumped when its sequence restarts (a re-created topic or stream). @default 0 */
  readonly epoch?: number;
  /** Arrival time of the first record of this epoch (tells which epoch a re-driven range belongs to). */
  readonly epochStartMs?: number;
}

/**
 * Per-source checkpoints (last committed sequence, stream time, last valid record, epoch) that only move forward:
 * a write lands only when its epoch is newer, or its epoch is the same and its sequence is higher and its stream
 * time is not lower (docs/architecture.md §2.9: stream time and checkpoints never move backwards). Never cached: a shard's
 * batches go to any warm container, so every batch reads its checkpoint again (one consistent read per batch).
 */
export class CheckpointStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #now: () => number;
  readonly #usage: UsageMeter;

  constructor(options: CheckpointStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#usage = options.usage ?? new UsageMeter();
  }

  /** Capacity used since the last call (and reset). */
  takeUsage(): CapacityUsage {
    return this.#usage.take();
  }

  /** The checkpoint of `sourceId` (a consistent GetItem), or undefined when none was written. */
  async get(sourceId: string): Promise<Checkpoint | undefined> {
    checkSource(sourceId);
    const out = await storeCall('GetItem (checkpoint)', () =>
      this.#client.send(
        new GetItemCommand({
          TableName: this.#table,
          Key: checkpointKey(sourceId),
          ConsistentRead: true,
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    this.#usage.read(out.ConsumedCapacity?.CapacityUnits ?? 1);
    return fromCheckpointItem(out.Item);
  }

  /**
   * Move the checkpoint of `sourceId` forward: a conditional put. When the stored one is already at or past it (same
   * epoch, sequence not lower), nothing is written and the result is 'stale'; an equal sequence and stream time
   * means our own earlier attempt landed (unknown outcome) and counts as 'written'. A stored stream time above ours
   * for a lower sequence is a decision taken on a stale start: {@link StaleCheckpointError}.
   */
  async put(sourceId: string, next: CheckpointInput): Promise<PutCheckpointResult> {
    checkSource(sourceId);
    const checkpoint: Checkpoint = {
      sourceId,
      sequence: canonicalSequence(next.sequence),
      streamTime: next.streamTime,
      updatedAt: this.#now(),
      epoch: next.epoch ?? 0,
      ...(next.lastValidAt !== undefined ? { lastValidAt: next.lastValidAt } : {}),
      ...(next.arrivalMs !== undefined ? { arrivalMs: next.arrivalMs } : {}),
      ...(next.epochStartMs !== undefined ? { epochStartMs: next.epochStartMs } : {}),
    };
    const item = toCheckpointItem(checkpoint);
    try {
      const out = await storeCall('PutItem (checkpoint)', () =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk) OR #ep < :ep OR (#ep = :ep AND #seq < :seq AND #st <= :st)',
            ExpressionAttributeNames: {
              '#pk': STATE_ATTR.pk,
              '#seq': STATE_ATTR.sequence,
              '#st': STATE_ATTR.streamTime,
              '#ep': STATE_ATTR.epoch,
            },
            ExpressionAttributeValues: {
              ':seq': item[STATE_ATTR.sequence]!,
              ':st': item[STATE_ATTR.streamTime]!,
              ':ep': item[STATE_ATTR.epoch]!,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      this.#usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
      return { status: 'written', checkpoint };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      this.#usage.write(1); // a failed conditional write is still charged
      const current = fromCheckpointItem((error as { Item?: Record<string, AttributeValue> }).Item) ?? checkpoint;
      const order = current.epoch - checkpoint.epoch || compareSequence(current.sequence, checkpoint.sequence);
      if (order === 0 && current.streamTime === checkpoint.streamTime)
        return { status: 'written', checkpoint: current };
      if (order <= 0) throw new StaleCheckpointError(sourceId, current.streamTime, checkpoint.streamTime);
      return { status: 'stale', checkpoint: current };
    }
  }

  /**
   * Say that the source is alive: it holds valid records it could not finish yet (throttles, a failing key). Moves only
   * `lastValidAt` forward, on an existing checkpoint, so a source that keeps retrying is not mistaken for an idle one
   * (and its backlog for late records). Best effort: returns false when it could not write.
   */
  async touch(sourceId: string, lastValidAt: number): Promise<boolean> {
    checkSource(sourceId);
    try {
      const out = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: checkpointKey(sourceId),
          UpdateExpression: 'SET #lv = :lv',
          ConditionExpression: 'attribute_exists(#seq) AND (attribute_not_exists(#lv) OR #lv < :lv)',
          ExpressionAttributeNames: { '#lv': STATE_ATTR.lastValidAt, '#seq': STATE_ATTR.sequence },
          ExpressionAttributeValues: { ':lv': { N: String(lastValidAt) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      this.#usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
      return true;
    } catch {
      return false;
    }
  }

  /** Every checkpoint in the table (one consistent Query, paginated), e.g. to compute the watermark. */
  async list(): Promise<Checkpoint[]> {
    const result: Checkpoint[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await storeCall('Query (checkpoints)', () =>
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
