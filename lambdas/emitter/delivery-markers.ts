import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { type BackoffOptions, backoff, callWithRetry, classifyError } from '../state/retry';
import { DEDUPE_ATTR } from '../state/tables';
import { MarkerCallError } from './errors';

/** Partition key prefix of delivery markers in the dedupe table (beside the events' idempotency keys). */
export const MARKER_PREFIX = '#emit#';

/** Dedupe-table partition key of the marker "message `id` was delivered to sink `sink`". */
export function markerKey(sink: string, id: string): string {
  return `${MARKER_PREFIX}${sink}#${id}`;
}

/** Options of {@link DeliveryMarkers}. */
export interface DeliveryMarkersOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The dedupe table. */
  readonly tableName: string;
  /** How long a marker is kept: longer than a stream record can be redelivered (24 h stream retention). @default 48 h */
  readonly ttlSeconds?: number;
  /** @default 2 */
  readonly maxRetries?: number;
  readonly backoff?: BackoffOptions;
  /** @default Date.now */
  readonly now?: () => number;
  /** Parallel marker writes. @default 16 */
  readonly concurrency?: number;
}

/** Outcome of {@link DeliveryMarkers.mark}. */
export interface MarkOutcome {
  /** Markers written. */
  marked: number;
  /** Ids whose marker already existed: another emitter delivered the same message concurrently (a resend happened). */
  raced: string[];
  /** Ids whose marker could not be written (the message was delivered; a redelivery of its record sends it again). */
  failed: Map<string, Error>;
}

/**
 * Delivery markers: one small item per (sink, message id) in the dedupe table, written after the sink accepted the
 * message and checked before sending. A redelivered stream record finds its markers and sends nothing again.
 *
 * Guarantee: a message is sent again only when the emitter stops (crash, timeout) or the marker write fails between
 * the sink accepting it and its marker landing, or when two emitters handle the same message at the same time (the
 * conditional put reports it in `raced`). Such a resend carries the same deterministic id.
 */
export class DeliveryMarkers {
  readonly #o: DeliveryMarkersOptions;
  #readUnits = 0;
  #writeUnits = 0;
  #keysRead = 0;

  constructor(options: DeliveryMarkersOptions) {
    this.#o = options;
  }

  /**
   * Capacity used since the last call (then reset). `billedReadUnits`: as AWS bills a consistent read, at least one
   * unit per key asked for, found or not (DynamoDB Local reports nothing for a missing key).
   */
  takeUsage(): { readUnits: number; writeUnits: number; billedReadUnits: number } {
    const usage = {
      readUnits: this.#readUnits,
      writeUnits: this.#writeUnits,
      billedReadUnits: Math.max(this.#readUnits, this.#keysRead),
    };
    this.#readUnits = 0;
    this.#writeUnits = 0;
    this.#keysRead = 0;
    return usage;
  }

  /**
   * Which of `ids` were already delivered to `sink` (consistent BatchGetItem, 100 keys a call, unprocessed keys
   * retried). Ids that could not be checked are in `failed` (do not send them now).
   */
  async delivered(
    sink: string,
    ids: readonly string[],
  ): Promise<{ delivered: Set<string>; failed: Map<string, Error> }> {
    const delivered = new Set<string>();
    const failed = new Map<string, Error>();
    const unique = [...new Set(ids)];
    const idOf = new Map(unique.map((id) => [markerKey(sink, id), id]));
    const now = (this.#o.now ?? Date.now)();
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Record<string, AttributeValue>[] = unique
        .slice(i, i + 100)
        .map((id) => ({ [DEDUPE_ATTR.pk]: { S: markerKey(sink, id) } }));
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await backoff(round - 1, this.#o.backoff);
        try {
          const out = await callWithRetry(
            'BatchGetItem (delivery markers)',
            () =>
              this.#o.client.send(
                new BatchGetItemCommand({
                  RequestItems: { [this.#o.tableName]: { Keys: pending, ConsistentRead: true } },
                  ReturnConsumedCapacity: 'TOTAL',
                }),
              ),
            { maxRetries: this.#o.maxRetries ?? 2, backoff: this.#o.backoff },
          );
          this.#readUnits += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
          this.#keysRead += pending.length;
          for (const item of out.Responses?.[this.#o.tableName] ?? []) {
            const ttl = Number(item[DEDUPE_ATTR.ttl]?.N ?? Number.POSITIVE_INFINITY);
            const id = idOf.get(item[DEDUPE_ATTR.pk]?.S ?? '');
            // TTL deletes lag (up to days): an expired marker no longer counts.
            if (id !== undefined && ttl * 1000 > now) delivered.add(id);
          }
          pending = out.UnprocessedKeys?.[this.#o.tableName]?.Keys ?? [];
          if (pending.length > 0 && round >= 5) throw new Error(`${pending.length} marker key(s) still unprocessed`);
        } catch (error) {
          const wrapped = new MarkerCallError('BatchGetItem', { cause: error });
          for (const key of pending) failed.set(idOf.get(key[DEDUPE_ATTR.pk]?.S ?? '') ?? '', wrapped);
          break;
        }
      }
    }
    return { delivered, failed };
  }

  /** Write the markers of `ids` delivered to `sink`: one conditional PutItem each (`attribute_not_exists`). */
  async mark(sink: string, ids: readonly string[]): Promise<MarkOutcome> {
    const outcome: MarkOutcome = { marked: 0, raced: [], failed: new Map() };
    const now = (this.#o.now ?? Date.now)();
    const ttl = Math.ceil(now / 1000) + (this.#o.ttlSeconds ?? 48 * 3600);
    const limit = pLimit(this.#o.concurrency ?? 16);
    await Promise.all(
      [...new Set(ids)].map((id) =>
        limit(async () => {
          try {
            const out = await callWithRetry(
              'PutItem (delivery marker)',
              () =>
                this.#o.client.send(
                  new PutItemCommand({
                    TableName: this.#o.tableName,
                    Item: {
                      [DEDUPE_ATTR.pk]: { S: markerKey(sink, id) },
                      [DEDUPE_ATTR.ttl]: { N: String(ttl) },
                      at: { N: String(now) },
                    },
                    ConditionExpression: 'attribute_not_exists(#pk)',
                    ExpressionAttributeNames: { '#pk': DEDUPE_ATTR.pk },
                    ReturnConsumedCapacity: 'TOTAL',
                  }),
                ),
              { maxRetries: this.#o.maxRetries ?? 2, backoff: this.#o.backoff },
            );
            this.#writeUnits += out.ConsumedCapacity?.CapacityUnits ?? 1;
            outcome.marked++;
          } catch (error) {
            if (classifyError(error) === 'conditional') {
              this.#writeUnits += 1;
              outcome.raced.push(id);
            } else outcome.failed.set(id, new MarkerCallError('PutItem', { cause: error }));
          }
        }),
      ),
    );
    return outcome;
  }
}
