// Deliberate bugs for the sweep's self-tests: each re-opens one hole (a bug an earlier build had, or one a build could
// have) behind a test-only switch, so a self-test can show that some schedule of the fault model catches it.
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { base64Bytes, decodeUtf8, type Pipeline, type Rejection } from '../../core';
import type { StoredKeyState } from '../../lambdas/processor/index';
import type { ProcessorStore } from '../../lambdas/processor/source-batch';
import { toCheckpointItem } from '../../lambdas/state/codec';
import {
  type Checkpoint,
  canonicalSequence,
  decodeStateAttribute,
  encodeStateAttribute,
  fenceKey,
  STATE_ATTR,
  StaleCheckpointError,
  type StateStore,
} from '../../lambdas/state/index';
import type { Landed } from './fault-layer';
import { oracle } from './oracle';
import type { ShardLog } from './shard-log';

type DynamoSend = Pick<DynamoDBClient, 'send'>;
type Item = Record<string, AttributeValue>;

/**
 * A deliberate bug:
 * - `lose-key`: every state write of the busiest key is dropped while the processor is told it landed.
 * - `stale-key`: the busiest key's first landed write stays, every later one is dropped (a stale value).
 * - `cached-checkpoint`: each container caches the checkpoints it read or wrote and trusts them, and moves a checkpoint
 *   forward by sequence only (the old CheckpointStore): a shard's batch on a container that last saw the shard
 *   earlier starts from a stale stream time, and its checkpoint takes the stored stream time back (warm containers).
 * - `closer-drops-late`: processor writes that follow a closer write on the same key lose their outbox: the late
 *   entries a re-applied batch finds after the closer finalized a window go nowhere (the closer dimension).
 * - `event-time-expiry`: state items expire by event time (stream time + retention) and a read of an expired item
 *   hands over no state (the old TTL and store): a backfill starts every batch from empty (event-time profiles).
 * - `no-state-guard`: the processor runs without the state bound the oracle applies (hot keys).
 * - `drop-undecodable`: records whose data is not valid base64 or UTF-8 never reach the processor and end nowhere,
 *   as with a decoder that skips what it cannot read (hostile records).
 * - `ignore-partition-key`: with ParallelizationFactor > 1 the processor never checks a record's partition key
 *   (lanes).
 * - `children-first`: the mapping runs a reshard's child shards before their parents (resharding).
 * - `no-restart-detection`: checkpoints carry no arrival time (the old checkpoint): a re-created topic's offsets
 *   are skipped as already applied (MSK offset reset).
 * - `cluster-blind`: the processor names MSK sources by topic-partition only, not by cluster (a new cluster).
 * - `garbage-holds-watermark`: the closer counts a source with a checkpoint but no valid record as active, at the
 *   bottom of event time: a shard that only receives garbage holds the watermark, and nothing finalizes when traffic
 *   stops (issue 10, hole 7; the garbage shard).
 */
export type Sabotage =
  | 'lose-key'
  | 'stale-key'
  | 'cached-checkpoint'
  | 'closer-drops-late'
  | 'event-time-expiry'
  | 'no-state-guard'
  | 'drop-undecodable'
  | 'ignore-partition-key'
  | 'children-first'
  | 'no-restart-detection'
  | 'cluster-blind'
  | 'garbage-holds-watermark';

/**
 * The key with the most applied events (by the oracle, with nothing on the failure destination), and that count.
 * In the `poison` family some of them may end on the failure destination instead: aim at a `faults` schedule.
 *
 * Why `stale-key` must be caught when `applied` exceeds the batch size: the key's first landed write comes from one
 * invocation, whose batch is a run of at most `batchSize` consecutive records of the shard; the key's other applied
 * records are outside it, so the stale value lacks events the oracle counts, whichever way invocations interleave.
 */
export function busiestKey(pipeline: Pipeline, log: ShardLog): { key: string; applied: number } {
  const applied = new Map<string, number>();
  const tumbling = pipeline.windows.find((w) => w.kind === 'tumbling');
  if (!tumbling) throw new Error(`pipeline ${pipeline.name} has no tumbling window to count applied events by`);
  const records = log.records.map((r) => ({
    index: r.index,
    data: r.data,
    partitionKey: r.partitionKey,
    arrivalMs: r.arrivalMs,
    source: r.identity,
    messageSource: r.msk ? r.identity : r.shardId,
    sequence: r.sequence,
    fence: fenceKey(r.identity),
    failed: false,
    skipped: false,
  }));
  for (const r of oracle(pipeline, records).results) {
    if (r.window !== tumbling.name) continue;
    applied.set(r.key, (applied.get(r.key) ?? 0) + Number(r.values.events));
  }
  let best = { key: '', applied: -1 };
  for (const [key, n] of applied)
    if (n > best.applied || (n === best.applied && key < best.key)) best = { key, applied: n };
  return best;
}

const isStatePut = (command: any, stateTable: string) =>
  command.constructor.name === 'PutItemCommand' &&
  command.input.TableName === stateTable &&
  command.input.Item?.sk?.S === 'state';

/** Wrap `real` so that state writes of `key` are lost as `mode` says, while the caller is told they landed. */
export function sabotageStateWrites(
  real: DynamoSend,
  stateTable: string,
  mode: 'lose-key' | 'stale-key',
  key: string,
): DynamoSend {
  let landed = 0;
  const send = (async (command: any) => {
    const isVictim = isStatePut(command, stateTable) && command.input.Item?.pk?.S === key;
    if (isVictim && (mode === 'lose-key' || landed > 0))
      return { $metadata: {}, ConsumedCapacity: { CapacityUnits: 1 } };
    const out = await real.send(command);
    if (isVictim) landed++;
    return out;
  }) as DynamoSend['send'];
  return { send };
}

/** Rewrite the stored value of a state PutItem (decoded JSON in, JSON out). */
function rewriteState(command: any, edit: (stored: StoredKeyState) => void): void {
  const item = command.input.Item as Item;
  const stored = JSON.parse(decodeStateAttribute(item.s)!) as StoredKeyState;
  edit(stored);
  item.s = encodeStateAttribute(JSON.stringify(stored));
}

/**
 * `closer-drops-late`: a processor-side client whose state writes to keys the closer has written lose their outbox
 * (`o`) on the way to the table.
 */
export function dropOutboxAfterCloser(real: DynamoSend, stateTable: string, landed: Landed): DynamoSend {
  const send = (async (command: any) => {
    if (isStatePut(command, stateTable) && landed.closerKeys.has(command.input.Item.pk.S)) {
      rewriteState(command, (stored) => {
        delete stored.o;
      });
    }
    return real.send(command);
  }) as DynamoSend['send'];
  return { send };
}

/**
 * `event-time-expiry`: state writes get a TTL from event time (the key's stream time plus the retention, as the old
 * processor computed it), and every read of a state item whose TTL has passed hands over the item without its state
 * (`s`), as the old store withheld expired state.
 */
export function eventTimeExpiry(real: DynamoSend, stateTable: string, retentionMs: number): DynamoSend {
  const expired = (item: Item | undefined) =>
    item?.sk?.S === 'state' && item.ttl?.N !== undefined && Number(item.ttl.N) * 1000 <= Date.now();
  const withhold = (item: Item | undefined): Item | undefined => {
    if (!item || !expired(item)) return item;
    const { s: _s, ...rest } = item;
    return rest;
  };
  const send = (async (command: any) => {
    if (isStatePut(command, stateTable)) {
      const stored = JSON.parse(decodeStateAttribute(command.input.Item.s)!) as StoredKeyState;
      const m = stored.k.m as number | null;
      if (typeof m === 'number' && Number.isFinite(m)) {
        command.input.Item.ttl = { N: String(Math.ceil((m + retentionMs) / 1000)) };
      }
    }
    try {
      const out = (await real.send(command)) as any;
      if (command.constructor.name === 'BatchGetItemCommand') {
        for (const items of Object.values(out.Responses ?? {}) as Item[][]) {
          for (let i = 0; i < items.length; i++) items[i] = withhold(items[i])!;
        }
      }
      if (command.constructor.name === 'GetItemCommand' && out.Item) out.Item = withhold(out.Item);
      return out;
    } catch (error) {
      const e = error as { Item?: Item };
      if (e.Item) e.Item = withhold(e.Item);
      throw error;
    }
  }) as DynamoSend['send'];
  return { send };
}

/** The processor's store as an object of its methods (so a wrapper can replace some). */
export function delegateStore(store: StateStore): ProcessorStore {
  return {
    getCheckpoint: (id) => store.getCheckpoint(id),
    putCheckpoint: (id, next) => store.putCheckpoint(id, next),
    listCheckpoints: () => store.listCheckpoints(),
    commit: (requests, options) => store.commit(requests, options),
    takeUsage: () => store.takeUsage(),
    readClaims: (key, buckets) => store.readClaims(key, buckets),
    spillClaims: (key, bucket, hashes) => store.spillClaims(key, bucket, hashes),
    dropClaims: (key, buckets) => store.dropClaims(key, buckets),
    listDue: (writer, entries) => store.listDue(writer, entries),
    touchCheckpoint: (id, lastValidAt) => store.touchCheckpoint(id, lastValidAt),
  };
}

/**
 * `cached-checkpoint`: a container's store that serves checkpoints from its own cache once it read or wrote them (a
 * consistent read only on a miss), and writes a checkpoint whenever its sequence is higher, whatever its stream time
 * (the condition compared sequences only), as the old CheckpointStore did.
 */
export function cachedCheckpoints(store: StateStore, client: DynamoSend, stateTable: string): ProcessorStore {
  const cache = new Map<string, Checkpoint>();
  return {
    ...delegateStore(store),
    getCheckpoint: async (id) => {
      const cached = cache.get(id);
      if (cached) return cached;
      const checkpoint = await store.getCheckpoint(id);
      if (checkpoint) cache.set(id, checkpoint);
      return checkpoint;
    },
    putCheckpoint: async (id, next) => {
      try {
        const out = await store.putCheckpoint(id, next);
        cache.set(id, out.checkpoint);
        return out;
      } catch (error) {
        if (!(error instanceof StaleCheckpointError)) throw error;
        const checkpoint: Checkpoint = {
          sourceId: id,
          sequence: canonicalSequence(next.sequence),
          streamTime: next.streamTime,
          updatedAt: Date.now(),
          epoch: next.epoch ?? 0,
          ...(next.lastValidAt !== undefined ? { lastValidAt: next.lastValidAt } : {}),
          ...(next.arrivalMs !== undefined ? { arrivalMs: next.arrivalMs } : {}),
        };
        const item = toCheckpointItem(checkpoint);
        await client.send(
          new PutItemCommand({
            TableName: stateTable,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk) OR #seq < :seq',
            ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#seq': STATE_ATTR.sequence },
            ExpressionAttributeValues: { ':seq': item[STATE_ATTR.sequence]! },
          }),
        );
        cache.set(id, checkpoint);
        return { status: 'written', checkpoint };
      }
    },
  };
}

/** The closer's part of the state store. */
export type CloserStore = Pick<
  StateStore,
  'listCheckpoints' | 'commit' | 'takeUsage' | 'dueBy' | 'settleDue' | 'listDue' | 'prime'
>;

/**
 * `garbage-holds-watermark`: the closer's store as a closer run at `now` reads it, with every checkpoint that holds no
 * stream time (a source that never had a valid record) handed over as a source that is active at `now` (its garbage
 * counted as traffic) with the earliest stream time there is (0, the epoch, where −∞ cannot be stored): the rule
 * "a source with no valid record counts as idle" undone.
 */
export function garbageCountsAsActive(store: CloserStore, now: number): CloserStore {
  return {
    listCheckpoints: async () =>
      (await store.listCheckpoints()).map((c) =>
        c.streamTime >= 0 ? c : { ...c, streamTime: 0, updatedAt: now, lastValidAt: now },
      ),
    commit: (requests, options) => store.commit(requests, options),
    takeUsage: () => store.takeUsage(),
    dueBy: (...args) => store.dueBy(...args),
    settleDue: (...args) => store.settleDue(...args),
    listDue: (...args) => store.listDue(...args),
    prime: (...args) => store.prime(...args),
  };
}

/** `no-restart-detection`: checkpoints read without their arrival time (as written before sources had epochs). */
export function checkpointsWithoutArrival(store: StateStore): ProcessorStore {
  return {
    ...delegateStore(store),
    getCheckpoint: async (id) => {
      const checkpoint = await store.getCheckpoint(id);
      if (!checkpoint) return checkpoint;
      const { arrivalMs: _arrival, ...rest } = checkpoint;
      return rest;
    },
  };
}

/** The record data of an event record (Kinesis `kinesis.data`, MSK `value`). */
type AnyRecord = { kinesis?: { data?: string; partitionKey?: string }; value?: string | null };

/** The text of base64 record data, or why not (empty, too large, not strict base64, not UTF-8) as the processor says. */
export function recordText(data: string | null | undefined): { ok: true; text: string } | Rejection {
  const bytes = base64Bytes(data);
  return bytes.ok ? decodeUtf8(bytes.bytes) : bytes;
}

/** `drop-undecodable`: the event without the records whose data is not valid base64 or UTF-8. */
export function dropUndecodable(event: any): any {
  const readable = (r: AnyRecord) => {
    const decoded = recordText(r.kinesis ? r.kinesis.data : r.value);
    return decoded.ok || !/^(invalid-base64|invalid-utf8):/.test(decoded.reason);
  };
  if (Array.isArray(event.Records)) return { ...event, Records: event.Records.filter(readable) };
  const records: Record<string, AnyRecord[]> = {};
  for (const [group, list] of Object.entries(event.records as Record<string, AnyRecord[]>))
    records[group] = list.filter(readable);
  return { ...event, records };
}

/** `ignore-partition-key`: the event with the records' partition keys removed (the processor cannot check them). */
export function withoutPartitionKeys(event: any): any {
  if (!Array.isArray(event.Records)) return event;
  return {
    ...event,
    Records: event.Records.map((r: { kinesis: Record<string, unknown> }) => {
      const { partitionKey: _pk, ...kinesis } = r.kinesis;
      return { ...r, kinesis };
    }),
  };
}
