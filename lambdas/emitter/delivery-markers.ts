import {
  type AttributeValue,
  BatchGetItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { DEFAULT_MARKER_TTL_HOURS } from '../../core/contract';
import { allSettledOrThrow } from '../../core/settle';
import { type BackoffOptions, backoff, isConditionalCheckFailed, storeCall } from '../state/retry';
import { DEDUPE_ATTR } from '../state/tables';
import { MarkerCallError } from './errors';

/**
 * Partition key prefix of alert delivery markers in the dedupe table. The dedupe table is internal to streamfold: it
 * holds the emitter's markers only (producers' dedupe ids live in the state table's per-key items), and every marker
 * key starts with this prefix. A marker is also recognized by its {@link MARKER_ATTR} attribute, so an item that is
 * not one (e.g. a dedupe claim left by an earlier version, whatever its key) never counts as a delivery and is
 * overwritten by the marker.
 */
export const MARKER_PREFIX = '#delivered#';

/** Attributes of a marker item (besides `pk` and `ttl`). */
export const MARKER_ATTR = {
  /** (N) When the sink accepted the message, epoch ms: present on every marker and on nothing else. */
  deliveredAt: 'dat',
} as const;

/** Dedupe-table partition key of the marker "alert `id` was delivered to sink `sink`". */
export function markerKey(sink: string, id: string): string {
  return `${MARKER_PREFIX}${sink}#${id}`;
}

/** What {@link DeliveryMarkers} asked of DynamoDB since the last {@link DeliveryMarkers.takeUsage}. */
export interface MarkerUsage {
  /** BatchGetItem and PutItem calls (retries included). */
  requests: number;
  /** Read units as DynamoDB reported them. */
  readUnits: number;
  /** Read units as AWS bills a consistent read: at least one per key asked for, found or not. */
  billedReadUnits: number;
  /** Write units, failed conditional puts included (1 each). */
  writeUnits: number;
}

/** Options of {@link DeliveryMarkers}. */
export interface DeliveryMarkersOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The dedupe table. */
  readonly tableName: string;
  /**
   * How long a marker is kept: longer than a stream record or a spilled message can be redelivered. @default 48 h
   */
  readonly ttlSeconds?: number;
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
 * Alert delivery markers: one small item per (sink, alert id) in the dedupe table, written after the sink accepted the
 * alert and checked before sending. A redelivered stream record, or a re-delivery of spilled alerts, finds its markers
 * and sends nothing again. Final results have none: their ids are deterministic and their sinks idempotent by id.
 *
 * Guarantee: an alert is sent again only when the emitter stops (crash, timeout) or the marker write fails between
 * the sink accepting it and its marker landing, or when two emitters handle the same alert at the same time (the
 * conditional put reports it in `raced`). Such a resend carries the same deterministic id.
 */
export class DeliveryMarkers {
  readonly #o: DeliveryMarkersOptions;
  #readUnits = 0;
  #writeUnits = 0;
  #keysRead = 0;
  #requests = 0;

  constructor(options: DeliveryMarkersOptions) {
    this.#o = options;
  }

  /** DynamoDB calls and capacity since the last call (then reset). */
  takeUsage(): MarkerUsage {
    const usage = {
      requests: this.#requests,
      readUnits: this.#readUnits,
      billedReadUnits: Math.max(this.#readUnits, this.#keysRead),
      writeUnits: this.#writeUnits,
    };
    this.#readUnits = 0;
    this.#writeUnits = 0;
    this.#keysRead = 0;
    this.#requests = 0;
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
          const out = await storeCall('BatchGetItem (delivery markers)', () => {
            this.#requests++;
            return this.#o.client.send(
              new BatchGetItemCommand({
                RequestItems: { [this.#o.tableName]: { Keys: pending, ConsistentRead: true } },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
          });
          this.#readUnits += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
          this.#keysRead += pending.length;
          for (const item of out.Responses?.[this.#o.tableName] ?? []) {
            const ttl = Number(item[DEDUPE_ATTR.ttl]?.N ?? Number.POSITIVE_INFINITY);
            const id = idOf.get(item[DEDUPE_ATTR.pk]?.S ?? '');
            // Only a marker counts (not an item someone else wrote under the key); TTL deletes lag (up to days): an
            // expired marker no longer counts.
            if (id !== undefined && isMarker(item) && ttl * 1000 > now) delivered.add(id);
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

  /**
   * Write the markers of `ids` delivered to `sink`: one conditional PutItem each, which fails only on a live marker
   * (`raced`); an item that is not a marker, or an expired one, is overwritten.
   */
  async mark(sink: string, ids: readonly string[]): Promise<MarkOutcome> {
    const outcome: MarkOutcome = { marked: 0, raced: [], failed: new Map() };
    const now = (this.#o.now ?? Date.now)();
    const ttl = Math.ceil(now / 1000) + (this.#o.ttlSeconds ?? DEFAULT_MARKER_TTL_HOURS * 3600);
    const limit = pLimit(this.#o.concurrency ?? 16);
    await allSettledOrThrow(
      [...new Set(ids)].map((id) =>
        limit(async () => {
          try {
            const out = await storeCall('PutItem (delivery marker)', () => {
              this.#requests++;
              return this.#o.client.send(
                new PutItemCommand({
                  TableName: this.#o.tableName,
                  Item: {
                    [DEDUPE_ATTR.pk]: { S: markerKey(sink, id) },
                    [DEDUPE_ATTR.ttl]: { N: String(ttl) },
                    [MARKER_ATTR.deliveredAt]: { N: String(now) },
                  },
                  ConditionExpression:
                    'attribute_not_exists(#pk) OR attribute_not_exists(#dat) OR attribute_exists(#src) OR #ttl < :now',
                  ExpressionAttributeNames: {
                    '#pk': DEDUPE_ATTR.pk,
                    '#dat': MARKER_ATTR.deliveredAt,
                    '#src': DEDUPE_ATTR.source,
                    '#ttl': DEDUPE_ATTR.ttl,
                  },
                  ExpressionAttributeValues: { ':now': { N: String(Math.floor(now / 1000)) } },
                  ReturnConsumedCapacity: 'TOTAL',
                }),
              );
            });
            this.#writeUnits += out.ConsumedCapacity?.CapacityUnits ?? 1;
            outcome.marked++;
          } catch (error) {
            if (isConditionalCheckFailed(error)) {
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

/** Whether a dedupe-table item is a delivery marker (written by {@link DeliveryMarkers.mark}, nothing else). */
function isMarker(item: Record<string, AttributeValue>): boolean {
  return item[MARKER_ATTR.deliveredAt]?.N !== undefined && item[DEDUPE_ATTR.source] === undefined;
}
