import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { InvalidSourceIdError } from './errors';
import { type BackoffOptions, callWithRetry, classifyError } from './retry';
import { canonicalSequence, compareSequence, type SequenceInput } from './sequence';
import { DEDUPE_ATTR } from './tables';
import { type CapacityUsage, UsageMeter } from './usage';

/** One record's dedupe id with where it came from. */
export interface ClaimEntry {
  /** The dedupe id (from the definition's `id`). */
  id: string;
  /** Shard id or topic-partition. */
  sourceId: string;
  /** The record's sequence number / offset. */
  sequence: SequenceInput;
}

/**
 * - 'new': first time this id is seen: keep the record.
 * - 'replay': the id was claimed before by this very record (same source and sequence; a Lambda retry): keep it,
 *   the state fence makes it harmless.
 * - 'duplicate': the id was claimed by another record (a producer resend, or an earlier entry of the same call): drop.
 * - 'failed': could not be decided (throttle/service error after bounded retries): treat the record as uncommitted.
 */
export type ClaimStatus = 'new' | 'replay' | 'duplicate' | 'failed';

/** Per-entry result of {@link IdempotencyStore.claim}, in entry order. */
export interface ClaimResult {
  id: string;
  status: ClaimStatus;
  error?: Error;
}

/** Result of {@link IdempotencyStore.claim}. */
export interface ClaimOutcome {
  results: ClaimResult[];
  totals: {
    /** Write units, including those charged for conditional-check failures (1 each: dedupe items are small). */
    writeUnits: number;
    new: number;
    replays: number;
    duplicates: number;
    failed: number;
    /** Conditional puts made (in-call duplicates make none). */
    writes: number;
    retries: number;
  };
}

/** Options of {@link IdempotencyStore}. */
export interface IdempotencyStoreOptions {
  client: Pick<DynamoDBClient, 'send'>;
  /** Dedupe table name (layout in ./tables). */
  tableName: string;
  /** Extra attempts after a throttle or transient error. @default 2 */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** Clock, epoch ms (tests). @default Date.now */
  now?: () => number;
}

/**
 * Idempotency keys for producer duplicates (DESIGN.md §3): one conditional put per distinct id
 * (`attribute_not_exists(pk) OR ttl < now`, TTL set); on a conflict the returned item (ALL_OLD) tells replay
 * (same source and sequence) from duplicate.
 */
export class IdempotencyStore {
  readonly #client: Pick<DynamoDBClient, 'send'>;
  readonly #table: string;
  readonly #maxRetries: number;
  readonly #backoff: BackoffOptions | undefined;
  readonly #now: () => number;
  readonly #usage = new UsageMeter();

  constructor(options: IdempotencyStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#maxRetries = options.maxRetries ?? 2;
    this.#backoff = options.backoff;
    this.#now = options.now ?? Date.now;
  }

  /** Capacity used since the last call, then reset. */
  takeUsage(): CapacityUsage {
    return this.#usage.take();
  }

  /**
   * Claim each entry's id. Pass entries in delivery order: when one call holds the same id twice, the first entry is
   * claimed in the table and every later one is a 'duplicate' (or 'failed' when the first failed); no write for them.
   * Never throws for an entry's failure; throws only for invalid input (bad sequence, empty source id) before any call.
   */
  async claim(entries: ClaimEntry[], options: { ttlSeconds: number; concurrency?: number }): Promise<ClaimOutcome> {
    const totals = { writeUnits: 0, new: 0, replays: 0, duplicates: 0, failed: 0, writes: 0, retries: 0 };
    const first = new Map<string, number>();
    const sequences = entries.map((entry, index) => {
      if (typeof entry.sourceId !== 'string' || entry.sourceId === '') throw new InvalidSourceIdError(entry.sourceId);
      if (!first.has(entry.id)) first.set(entry.id, index);
      return canonicalSequence(entry.sequence);
    });
    const results: ClaimResult[] = new Array(entries.length);
    const limit = pLimit(options.concurrency ?? 16);
    await Promise.all(
      [...first.values()].map((index) =>
        limit(async () => {
          results[index] = await this.#claimOne(entries[index]!, sequences[index]!, options.ttlSeconds, totals);
        }),
      ),
    );
    entries.forEach((entry, index) => {
      const firstIndex = first.get(entry.id)!;
      if (firstIndex === index) return;
      const firstResult = results[firstIndex]!;
      results[index] =
        firstResult.status === 'failed'
          ? { id: entry.id, status: 'failed', error: firstResult.error }
          : { id: entry.id, status: 'duplicate' };
    });
    for (const result of results) {
      if (result.status === 'new') totals.new++;
      else if (result.status === 'replay') totals.replays++;
      else if (result.status === 'duplicate') totals.duplicates++;
      else totals.failed++;
    }
    return { results, totals };
  }

  async #claimOne(
    entry: ClaimEntry,
    sequence: string,
    ttlSeconds: number,
    totals: ClaimOutcome['totals'],
  ): Promise<ClaimResult> {
    const nowSeconds = Math.floor(this.#now() / 1000);
    try {
      totals.writes++;
      const out = await callWithRetry(
        'PutItem (idempotency key)',
        () =>
          this.#client.send(
            new PutItemCommand({
              TableName: this.#table,
              Item: {
                [DEDUPE_ATTR.pk]: { S: entry.id },
                [DEDUPE_ATTR.source]: { S: entry.sourceId },
                [DEDUPE_ATTR.sequence]: { S: sequence },
                [DEDUPE_ATTR.ttl]: { N: String(nowSeconds + ttlSeconds) },
              },
              // An expired id (TTL passed, not yet deleted) counts as absent.
              ConditionExpression: 'attribute_not_exists(#pk) OR #ttl < :now',
              ExpressionAttributeNames: { '#pk': DEDUPE_ATTR.pk, '#ttl': DEDUPE_ATTR.ttl },
              ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        { maxRetries: this.#maxRetries, backoff: this.#backoff, onRetry: () => totals.retries++ },
      );
      const units = out.ConsumedCapacity?.CapacityUnits ?? 1;
      totals.writeUnits += units;
      this.#usage.write(units);
      return { id: entry.id, status: 'new' };
    } catch (error) {
      if (classifyError(error) !== 'conditional') return { id: entry.id, status: 'failed', error: error as Error };
      totals.writeUnits += 1;
      this.#usage.write(1);
      const old = (error as { Item?: Record<string, AttributeValue> }).Item;
      const source = old?.[DEDUPE_ATTR.source]?.S;
      const oldSequence = old?.[DEDUPE_ATTR.sequence]?.S;
      const replay =
        source === entry.sourceId && oldSequence !== undefined && compareSequence(oldSequence, sequence) === 0;
      return { id: entry.id, status: replay ? 'replay' : 'duplicate' };
    }
  }
}
