import {
  type AttributeValue,
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { allSettledOrThrow } from '../../core/settle';
import { type CheckpointInput, CheckpointStore, type PutCheckpointResult } from './checkpoints';
import { ClaimItems } from './claim-items';
import { ABSENT, type Checkpoint, fromStateItem, type StateRecord, stateKey, toStateItem } from './codec';
import { type DueEntry, DueIndex, type DueItem } from './due-index';
import {
  CommitConflictError,
  DuplicateCommitKeyError,
  InvalidExpiryError,
  InvalidSourceIdError,
  StateTooLargeError,
  StoreCallFailedError,
} from './errors';
import { itemSize, writeUnitsFor } from './item-size';
import { LruCache } from './lru';
import { type BackoffOptions, backoff, isConditionalCheckFailed, storeCall, storeCallFailed } from './retry';
import { canonicalSequence, compareSequence, maxSequence, type SequenceInput } from './sequence';
import { STATE_ATTR } from './tables';
import { type CapacityUsage, UsageMeter } from './usage';

/** The current state of one key, as handed to {@link CommitRequest.apply}. */
export interface StoredState {
  key: string;
  /** The engine state (a fresh copy, parsed from JSON: `apply` may mutate it), or undefined when none/expired. */
  state: unknown | undefined;
  /** Fence key -> last applied sequence (canonical decimal). Compare with `compareSequence`, never as strings. */
  applied: Record<string, string>;
  /** Version of the stored item; 0 when no item exists. */
  version: number;
  /**
   * True when the item's TTL has passed but DynamoDB has not deleted it yet (deletes lag up to days). Its state is
   * handed over as it is (docs/architecture.md §2.6: an item past its TTL is never read as empty).
   */
  expired: boolean;
}

/**
 * Asynchronous work `apply` needs done before it can decide (claims to read, claims to move out of the item): the
 * store runs it, then calls `apply` again with the same current item.
 */
export interface PendingWork {
  readonly pending: () => Promise<void>;
}

/** What `apply` returns: the next state and when it may expire. */
export interface AppliedState {
  /** Next engine state; any JSON-serialisable value. */
  state: unknown;
  /** Epoch **milliseconds** after which the item may be deleted (stored as TTL seconds); omit to keep forever. */
  expiresAt?: number;
  /**
   * Earliest time (epoch ms) something in the state closes: stored as `nc`, which the closer scans for. Omit (or
   * +Infinity) when nothing is left to close.
   */
  nextClose?: number;
}

/** One key's share of a batch. */
export interface CommitRequest {
  /** The aggregation key value (the item's partition key). */
  key: string;
  /** The fence key of the batch's source (`fenceKey(identity)`: the applied entry this request moves). */
  sourceId: string;
  /** Highest sequence of this batch's records for this key; becomes `applied[sourceId]`. */
  lastSequence: SequenceInput;
  /**
   * Build the next state from the current one, applying only records above `current.applied[sourceId]`.
   * Called again with the fresh item after a conditional-check conflict. Return undefined when nothing is left to
   * apply. Not called at all when `current.applied[sourceId] >= lastSequence` (everything already applied). May
   * return {@link PendingWork} instead: the store runs it and calls `apply` again (bounded).
   */
  apply(current: StoredState): AppliedState | PendingWork | undefined;
}

/** Per-key result of a commit. */
export interface KeyOutcome {
  key: string;
  /**
   * 'written': our write landed; 'skipped': nothing to write (already applied, e.g. a replay or our own earlier write
   * whose outcome was unknown) — both mean the key's effects are committed; 'failed': not committed.
   */
  status: 'written' | 'skipped' | 'failed';
  /** Version of the item after the commit (the last known version when failed). */
  version: number;
  /** Next close time (`nc`) the item holds after the commit (written or skipped), when finite. */
  nextClose?: number;
  /** Conditional-write attempts made. */
  attempts: number;
  /** Why it failed: StateTooLargeError, CommitConflictError, StoreCallFailedError, InvalidExpiryError, or what apply threw. */
  error?: Error;
}

/** Totals of one commit. */
export interface CommitTotals {
  /** Write units: reported consumed capacity of successful writes, plus the units charged for conditional-check failures (estimated from item size, as the error does not report them). */
  writeUnits: number;
  /** Read units consumed by cache-miss reads (BatchGetItem). */
  readUnits: number;
  /** Conditional-check failures (another writer or a stale cache). */
  conflicts: number;
  /** Retries of any kind (conflicts, throttles, transient errors, unprocessed keys). */
  retries: number;
  /** Successful state writes. */
  writes: number;
  /** Keys found in the cache / read from the table. */
  cacheHits: number;
  cacheMisses: number;
}

/** Result of {@link StateStore.commit}. */
export interface CommitOutcome {
  /** One outcome per request, in request order. */
  results: KeyOutcome[];
  /** Keys whose status is 'failed' (their effects are not committed). */
  failedKeys: string[];
  /** True when no key failed. */
  ok: boolean;
  totals: CommitTotals;
}

/** Options of {@link StateStore}. */
export interface StateStoreOptions {
  /** DynamoDB client (only `send` is used, so a fault-injection wrapper fits). */
  client: Pick<DynamoDBClient, 'send'>;
  /** State table name (layout in ./tables). */
  tableName: string;
  /** Records kept in the in-memory LRU cache. @default 10000 */
  cacheSize?: number;
  /** Conditional-write attempts per key before 'failed' (CommitConflictError). @default 8 */
  maxAttempts?: number;
  /** Size guard in bytes; larger items fail with StateTooLargeError before any call. @default 380000 */
  maxItemBytes?: number;
  /** Parallel writes per commit. @default 16 */
  concurrency?: number;
  /** Retry delays (full jitter). @default base 20 ms, cap 1000 ms */
  backoff?: BackoffOptions;
  /** Clock, epoch ms (tests). @default Date.now */
  now?: () => number;
  /**
   * How long an applied entry is kept after it last moved: longer than any record can be delivered again
   * (MaximumRecordAge, at most 7 days) and than a re-drive may reach back. @default 7 days
   */
  fenceHorizonMs?: number;
  /** How long due listings and claim items live after their last write (`stateHorizonMs` of the pipeline). */
  itemTtlMs?: number;
}

const BATCH_GET_LIMIT = 100;

const closeOf = (record: StateRecord) => (record.nextClose !== undefined ? { nextClose: record.nextClose } : {});
/** Pending-work rounds per key and commit (claims read, claims moved), beyond the conditional-write attempts. */
const MAX_PENDING_ROUNDS = 4;

/**
 * Exactly-once state store on DynamoDB (docs/architecture.md §2.2): one conditional PutItem per touched key per batch, fenced by
 * version (`attribute_not_exists` for a new item) and by per-source applied sequence. Generic: the state is an opaque
 * JSON value. Keep one instance per Lambda container (module scope) so its LRU cache spares reads across invocations.
 */
export class StateStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #cache: LruCache<string, StateRecord>;
  readonly #maxAttempts: number;
  readonly #maxItemBytes: number;
  readonly #concurrency: number;
  readonly #backoff: BackoffOptions | undefined;
  readonly #now: () => number;
  readonly #usage = new UsageMeter();
  readonly #checkpoints: CheckpointStore;
  readonly #fenceHorizonMinutes: number;
  readonly #claims: ClaimItems;
  readonly #due: DueIndex;

  constructor(options: StateStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#cache = new LruCache(options.cacheSize ?? 10_000);
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#maxItemBytes = options.maxItemBytes ?? 380_000;
    this.#concurrency = options.concurrency ?? 16;
    this.#backoff = options.backoff;
    this.#now = options.now ?? Date.now;
    this.#fenceHorizonMinutes = Math.ceil((options.fenceHorizonMs ?? 7 * 86_400_000) / 60_000);
    this.#claims = new ClaimItems({
      client: options.client,
      tableName: options.tableName,
      ...(options.itemTtlMs !== undefined ? { ttlMs: Math.max(options.itemTtlMs, 30 * 86_400_000) } : {}),
      usage: this.#usage,
      backoff: options.backoff,
      now: this.#now,
    });
    this.#due = new DueIndex({
      client: options.client,
      tableName: options.tableName,
      ...(options.itemTtlMs !== undefined ? { ttlMs: options.itemTtlMs } : {}),
      usage: this.#usage,
      backoff: options.backoff,
      now: this.#now,
    });
    this.#checkpoints = new CheckpointStore({
      client: options.client,
      tableName: options.tableName,
      now: this.#now,
      usage: this.#usage,
    });
  }

  /**
   * Commit one request per key: read cache misses (BatchGetItem, consistent), call `apply`, write each changed key
   * with one conditional PutItem; on a conflict take the returned item (ALL_OLD) and apply again (bounded, jittered).
   * Never throws for a key's failure: see `results` / `failedKeys`. Throws only for invalid requests (the same key
   * twice for the same source, bad sequence, empty source id), before any call. A key may appear once per source (an
   * MSK batch spans partitions): its requests are written one after the other, in request order.
   */
  async commit(requests: CommitRequest[], options: { concurrency?: number } = {}): Promise<CommitOutcome> {
    // Group by key; one key may appear once per source (e.g. MSK partitions): those run one after the other.
    const byKey = new Map<string, number[]>();
    const last: string[] = [];
    requests.forEach((request, index) => {
      if (typeof request.sourceId !== 'string' || request.sourceId === '') {
        throw new InvalidSourceIdError(request.sourceId);
      }
      last.push(canonicalSequence(request.lastSequence));
      const indexes = byKey.get(request.key) ?? [];
      if (indexes.some((i) => requests[i]!.sourceId === request.sourceId)) {
        throw new DuplicateCommitKeyError(request.key, request.sourceId);
      }
      indexes.push(index);
      byKey.set(request.key, indexes);
    });
    const totals: CommitTotals = {
      writeUnits: 0,
      readUnits: 0,
      conflicts: 0,
      retries: 0,
      writes: 0,
      cacheHits: 0,
      cacheMisses: 0,
    };
    const concurrency = options.concurrency ?? this.#concurrency;
    const misses = [...byKey.keys()].filter((key) => this.#cache.get(key) === undefined);
    totals.cacheMisses = misses.length;
    totals.cacheHits = byKey.size - misses.length;
    const loadErrors = await this.#load(misses, totals, concurrency);

    const results: KeyOutcome[] = new Array(requests.length);
    const limit = pLimit(concurrency);
    await allSettledOrThrow(
      [...byKey].map(([key, indexes]) =>
        limit(async () => {
          for (const index of indexes) {
            const loadError = loadErrors.get(key);
            results[index] = loadError
              ? { key, status: 'failed', version: 0, attempts: 0, error: loadError }
              : await this.#commitKey(requests[index]!, last[index]!, totals);
          }
        }),
      ),
    );
    const failedKeys = [...new Set(results.filter((r) => r.status === 'failed').map((r) => r.key))];
    return { results, failedKeys, ok: failedKeys.length === 0, totals };
  }

  /** Capacity used by this store (commits and checkpoints) since the last call, then reset. */
  takeUsage(): CapacityUsage {
    return this.#usage.take();
  }

  /** Forget all cached records (the next commit reads them again). */
  clearCache(): void {
    this.#cache.clear();
  }

  /** The checkpoint of `sourceId`: a consistent GetItem every time (a cached checkpoint would be a stale hint). */
  getCheckpoint(sourceId: string): Promise<Checkpoint | undefined> {
    return this.#checkpoints.get(sourceId);
  }

  /** Move the checkpoint of `sourceId` forward (conditional; a stale attempt returns status 'stale', not an error). */
  putCheckpoint(sourceId: string, next: CheckpointInput): Promise<PutCheckpointResult> {
    return this.#checkpoints.put(sourceId, next);
  }

  /** Keep a source that is retrying from looking idle (see {@link CheckpointStore.touch}). */
  touchCheckpoint(sourceId: string, lastValidAt: number): Promise<boolean> {
    return this.#checkpoints.touch(sourceId, lastValidAt);
  }

  /** All checkpoints (one Query on the checkpoint partition), e.g. for the watermark. */
  listCheckpoints(): Promise<Checkpoint[]> {
    return this.#checkpoints.list();
  }

  /** The spilled claims of `buckets` of `key` (see ./claim-items.ts). */
  readClaims(key: string, buckets: readonly number[]): Promise<Map<number, Set<string>>> {
    return this.#claims.read(key, buckets);
  }

  /** Move committed claims of `bucket` of `key` into its claim item (before the state write that drops them). */
  spillClaims(key: string, bucket: number, hashes: readonly string[]): Promise<void> {
    return this.#claims.spill(key, bucket, hashes);
  }

  /** List keys with windows to close in the due index (see ./due-index.ts). */
  listDue(writer: string, entries: readonly DueEntry[]): Promise<void> {
    return this.#due.list(writer, entries);
  }

  /** Due items up to `time`'s minute. */
  dueBy(time: number): Promise<DueItem[]> {
    return this.#due.dueBy(time);
  }

  /** Delete settled due items. */
  settleDue(items: readonly Pick<DueItem, 'partition' | 'sortKey'>[]): Promise<void> {
    return this.#due.settle(items);
  }

  /**
   * Put records read elsewhere into the cache (the closer reads candidates with eventually consistent reads and
   * checks their version itself); a later commit starts from them, its conditional write settles any staleness.
   */
  prime(records: ReadonlyMap<string, StateRecord>): void {
    for (const [key, record] of records) this.#cache.set(key, record);
  }

  /** Delete claim items of buckets that no longer matter (after the state write that stopped listing them). */
  dropClaims(key: string, buckets: readonly number[]): Promise<void> {
    return this.#claims.drop(key, buckets);
  }

  /** Read `keys` into the cache; returns the keys that could not be read, with the cause. */
  async #load(keys: string[], totals: CommitTotals, concurrency: number): Promise<Map<string, Error>> {
    const errors = new Map<string, Error>();
    const chunks: string[][] = [];
    for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
    const limit = pLimit(Math.max(1, Math.ceil(concurrency / 4)));
    await allSettledOrThrow(
      chunks.map((chunk) =>
        limit(async () => {
          let pending: Record<string, AttributeValue>[] = chunk.map(stateKey);
          const found = new Set<string>();
          for (let round = 0; pending.length > 0; round++) {
            if (round > 0) {
              totals.retries++;
              await backoff(round - 1, this.#backoff);
            }
            let out: BatchGetItemCommandOutput;
            try {
              out = await this.#batchGet(pending, totals);
            } catch (error) {
              for (const key of chunk) if (!found.has(key)) errors.set(key, error as Error);
              return;
            }
            for (const item of out.Responses?.[this.#table] ?? []) {
              const key = item[STATE_ATTR.pk]?.S;
              if (key === undefined) continue;
              found.add(key);
              this.#cache.set(key, fromStateItem(item));
            }
            pending = out.UnprocessedKeys?.[this.#table]?.Keys ?? [];
            if (pending.length > 0 && round + 1 >= this.#maxAttempts) {
              const error = new StoreCallFailedError('BatchGetItem', round + 1, {
                cause: new Error(`${pending.length} key(s) still unprocessed`),
              });
              for (const key of pending) errors.set(key[STATE_ATTR.pk]?.S ?? '', error);
              break;
            }
          }
          for (const key of chunk) if (!found.has(key) && !errors.has(key)) this.#cache.set(key, ABSENT);
        }),
      ),
    );
    return errors;
  }

  async #batchGet(keys: Record<string, AttributeValue>[], totals: CommitTotals): Promise<BatchGetItemCommandOutput> {
    const out = await storeCall('BatchGetItem', () =>
      this.#client.send(
        new BatchGetItemCommand({
          RequestItems: { [this.#table]: { Keys: keys, ConsistentRead: true } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
    const units = (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
    totals.readUnits += units;
    this.#usage.read(units);
    return out;
  }

  async #commitKey(request: CommitRequest, lastSequence: string, totals: CommitTotals): Promise<KeyOutcome> {
    const { key, sourceId } = request;
    let record = this.#cache.get(key) ?? ABSENT;
    let attempts = 0;
    let pendingRounds = 0;
    const fail = (error: Error): KeyOutcome => ({ key, status: 'failed', version: record.version, attempts, error });
    for (;;) {
      const applied = record.applied[sourceId];
      if (applied !== undefined && compareSequence(applied, lastSequence) >= 0) {
        return { key, status: 'skipped', version: record.version, attempts, ...closeOf(record) };
      }
      const now = this.#now();
      let next: AppliedState | PendingWork | undefined;
      try {
        next = request.apply(this.#toStoredState(key, record, now));
        if (next !== undefined && 'pending' in next) {
          if (++pendingRounds > MAX_PENDING_ROUNDS) {
            return fail(new CommitConflictError(key, attempts, `still waiting on work after ${pendingRounds} rounds`));
          }
          await next.pending();
          continue;
        }
      } catch (error) {
        return fail(error as Error);
      }
      if (next === undefined) return { key, status: 'skipped', version: record.version, attempts, ...closeOf(record) };
      if (next.expiresAt !== undefined && !(Number.isFinite(next.expiresAt) && next.expiresAt >= 1e11)) {
        return fail(new InvalidExpiryError(key, next.expiresAt));
      }
      const written = this.#nextRecord(record, sourceId, maxSequence(applied, lastSequence), next, now);
      const item = toStateItem(key, written, now);
      const size = itemSize(item);
      if (size > this.#maxItemBytes) return fail(new StateTooLargeError(key, size, this.#maxItemBytes));
      attempts++;
      let out: PutItemCommandOutput;
      try {
        out = await this.#putState(item, record);
      } catch (error) {
        // Throttles and transient errors were the SDK's to retry (a retried write that had landed comes back as a
        // conditional failure, sorted out below); anything else that reaches here fails the key.
        if (!isConditionalCheckFailed(error)) return fail(storeCallFailed('PutItem (state)', error));
        record = this.#conflicted(key, error, size, totals);
        if (attempts >= this.#maxAttempts) return fail(new CommitConflictError(key, attempts));
        totals.retries++;
        await backoff(attempts - 1, this.#backoff);
        continue;
      }
      const units = out.ConsumedCapacity?.CapacityUnits ?? writeUnitsFor(size);
      totals.writeUnits += units;
      totals.writes++;
      this.#usage.write(units);
      this.#cache.set(key, written);
      return { key, status: 'written', version: written.version, attempts, ...closeOf(written) };
    }
  }

  /** The record a commit writes: the new state, the source moved to `sequence`, the next version. */
  #nextRecord(record: StateRecord, sourceId: string, sequence: string, next: AppliedState, now: number): StateRecord {
    return {
      exists: true,
      stateJson: next.state === undefined ? undefined : JSON.stringify(next.state),
      ...this.#nextApplied(record, sourceId, sequence, now),
      version: record.version + 1,
      ttl: next.expiresAt === undefined ? undefined : Math.ceil(next.expiresAt / 1000),
      ...(next.nextClose !== undefined && Number.isFinite(next.nextClose) ? { nextClose: next.nextClose } : {}),
    };
  }

  /** Put a key's item on condition that it is still the version read (or still absent). */
  #putState(item: Record<string, AttributeValue>, read: StateRecord): Promise<PutItemCommandOutput> {
    return this.#client.send(
      new PutItemCommand({
        TableName: this.#table,
        Item: item,
        ...(read.exists
          ? {
              ConditionExpression: '#v = :v',
              ExpressionAttributeNames: { '#v': STATE_ATTR.version },
              ExpressionAttributeValues: { ':v': { N: String(read.version) } },
            }
          : {
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': STATE_ATTR.pk },
            }),
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
  }

  /** A conditional-check failure: counted and charged; the item it returned is the record to recompute from. */
  #conflicted(key: string, error: unknown, size: number, totals: CommitTotals): StateRecord {
    totals.conflicts++;
    const charged = writeUnitsFor(size);
    totals.writeUnits += charged;
    this.#usage.write(charged);
    const record = fromStateItem((error as { Item?: Record<string, AttributeValue> }).Item);
    this.#cache.set(key, record);
    return record;
  }

  /** The applied map after moving `sourceId` to `sequence`, without entries older than the fence horizon. */
  #nextApplied(
    record: StateRecord,
    sourceId: string,
    sequence: string,
    now: number,
  ): Pick<StateRecord, 'applied' | 'appliedAt'> {
    const minute = Math.floor(now / 60_000);
    const applied: Record<string, string> = {};
    const appliedAt: Record<string, number> = {};
    for (const [fence, seq] of Object.entries(record.applied)) {
      const at = record.appliedAt[fence] ?? minute;
      if (fence !== sourceId && minute - at > this.#fenceHorizonMinutes) continue;
      applied[fence] = seq;
      appliedAt[fence] = at;
    }
    applied[sourceId] = sequence;
    appliedAt[sourceId] = minute;
    return { applied, appliedAt };
  }

  #toStoredState(key: string, record: StateRecord, now: number): StoredState {
    const expired = record.ttl !== undefined && record.ttl * 1000 <= now;
    return {
      key,
      state: record.stateJson === undefined ? undefined : JSON.parse(record.stateJson),
      applied: { ...record.applied },
      version: record.version,
      expired,
    };
  }

  /**
   * The current state of `keys`: from the cache first, then one consistent BatchGetItem path (the one `commit` uses)
   * for the misses, which fills the cache so a following `commit` needs no read. Keys that could not be read
   * (throttles or errors after the SDK's retries, or evicted again by a cache smaller than the key set) are left out
   * of the map. Read units go to `takeUsage()`.
   */
  async load(keys: string[]): Promise<Map<string, StoredState>> {
    const unique = [...new Set(keys)];
    const totals: CommitTotals = {
      writeUnits: 0,
      readUnits: 0,
      conflicts: 0,
      retries: 0,
      writes: 0,
      cacheHits: 0,
      cacheMisses: 0,
    };
    const misses = unique.filter((key) => this.#cache.get(key) === undefined);
    const errors = await this.#load(misses, totals, this.#concurrency);
    const now = this.#now();
    const out = new Map<string, StoredState>();
    for (const key of unique) {
      // Left out: unreadable, or evicted again by a cache smaller than the key set.
      const record = errors.has(key) ? undefined : this.#cache.get(key);
      if (record) out.set(key, this.#toStoredState(key, record, now));
    }
    return out;
  }
}
