import { type AttributeValue, BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WindowResult } from '../../core';
import type { ResultMessage } from '../sinks/messages';
import { type BackoffOptions, backoff, storeCall } from '../state/retry';
import { STATE_ATTR, TTL_ATTRIBUTE } from '../state/tables';

type Item = Record<string, AttributeValue>;

/** Sort key prefix of final-result items in the state table (pk = aggregation key). */
export const RESULT_SORT_PREFIX = 'r#';

/** Attributes of a result item. */
export const RESULT_ATTR = {
  /** (S) result id. */
  id: 'rid',
  /** (S) window name. */
  window: 'rw',
  /** (N) window start, epoch ms. */
  start: 'rs',
  /** (N) window end, epoch ms. */
  end: 're',
  /** (S) aggregate values, JSON. */
  values: 'rv',
  /** (SS) aggregates a definition change left partial (README "Changing a pipeline"); absent when none. */
  partial: 'rp',
} as const;

/** Digits of the zero-padded start in the sort key (epoch ms up to year 2286). */
const START_DIGITS = 16;

/** Sort key of a result item: `r#<window>#<start, zero-padded>`, so a key's results of a window sort by start. */
export function resultSortKey(window: string, start: number): string {
  return `${RESULT_SORT_PREFIX}${window}#${String(Math.max(0, Math.floor(start))).padStart(START_DIGITS, '0')}`;
}

/** The item persisting a final result (TTL in epoch seconds). */
export function toResultItem(message: ResultMessage, ttlSeconds: number): Item {
  return {
    [STATE_ATTR.pk]: { S: message.key },
    [STATE_ATTR.sk]: { S: resultSortKey(message.window, message.start) },
    [RESULT_ATTR.id]: { S: message.id },
    [RESULT_ATTR.window]: { S: message.window },
    [RESULT_ATTR.start]: { N: String(message.start) },
    [RESULT_ATTR.end]: { N: String(message.end) },
    [RESULT_ATTR.values]: { S: JSON.stringify(message.values) },
    ...(message.partial?.length ? { [RESULT_ATTR.partial]: { SS: [...message.partial] } } : {}),
    [TTL_ATTRIBUTE]: { N: String(ttlSeconds) },
  };
}

/** A result read back, or undefined when the item is not a result item. */
export function fromResultItem(item: Item): (WindowResult & { id: string; ttl?: number }) | undefined {
  const key = item[STATE_ATTR.pk]?.S;
  const window = item[RESULT_ATTR.window]?.S;
  const values = item[RESULT_ATTR.values]?.S;
  if (key === undefined || window === undefined || values === undefined) return undefined;
  const ttl = item[TTL_ATTRIBUTE]?.N;
  const partial = item[RESULT_ATTR.partial]?.SS;
  return {
    id: item[RESULT_ATTR.id]?.S ?? '',
    window,
    key,
    start: Number(item[RESULT_ATTR.start]?.N),
    end: Number(item[RESULT_ATTR.end]?.N),
    values: JSON.parse(values) as Record<string, unknown>,
    ...(partial?.length ? { partial: [...partial].sort() } : {}),
    ...(ttl === undefined ? {} : { ttl: Number(ttl) }),
  };
}

/** Options of {@link ResultItems}. */
export interface ResultItemsOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The state table. */
  readonly tableName: string;
  /** How long a final result is kept after it was emitted (pipeline.settings.retentionMs). */
  readonly retentionMs: number;
  readonly backoff?: BackoffOptions;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Final results persisted in the state table for state queries (opt-in: `persistResults`, default off): one item per (key, window, start), written with
 * BatchWriteItem (25 a call; unconditional: a rewrite of the same deterministic result is harmless). One write unit
 * per result of up to 1 KB.
 */
export class ResultItems {
  readonly #o: ResultItemsOptions;
  #writeUnits = 0;
  #requests = 0;

  constructor(options: ResultItemsOptions) {
    this.#o = options;
  }

  /** BatchWriteItem calls (retries included) and write units since the last call (then reset). */
  takeUsage(): { requests: number; writeUnits: number } {
    const usage = { requests: this.#requests, writeUnits: this.#writeUnits };
    this.#writeUnits = 0;
    this.#requests = 0;
    return usage;
  }

  /** Persist results; returns the ids that could not be written, with the cause. */
  async put(results: readonly ResultMessage[]): Promise<Map<string, Error>> {
    const failed = new Map<string, Error>();
    const now = (this.#o.now ?? Date.now)();
    const ttl = Math.ceil((now + this.#o.retentionMs) / 1000);
    const byKey = new Map<string, ResultMessage>();
    for (const r of results) byKey.set(`${r.key}\u0000${resultSortKey(r.window, r.start)}`, r);
    const unique = [...byKey.values()];
    for (let i = 0; i < unique.length; i += 25) {
      const part = unique.slice(i, i + 25);
      let pending = part.map((r) => ({ PutRequest: { Item: toResultItem(r, ttl) } }));
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await backoff(round - 1, this.#o.backoff);
        try {
          const out = await storeCall('BatchWriteItem (results)', () => {
            this.#requests++;
            return this.#o.client.send(
              new BatchWriteItemCommand({
                RequestItems: { [this.#o.tableName]: pending },
                ReturnConsumedCapacity: 'TOTAL',
              }),
            );
          });
          this.#writeUnits += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
          pending = (out.UnprocessedItems?.[this.#o.tableName] ?? []) as typeof pending;
          if (pending.length > 0 && round >= 5) throw new Error(`${pending.length} result item(s) still unprocessed`);
        } catch (error) {
          const ids = new Set(pending.map((p) => p.PutRequest.Item[RESULT_ATTR.id]?.S));
          for (const r of part) if (ids.has(r.id)) failed.set(r.id, error as Error);
          break;
        }
      }
    }
    return failed;
  }
}
