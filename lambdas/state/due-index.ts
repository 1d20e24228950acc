import { deflateRawSync, inflateRawSync } from 'node:zlib';
import {
  type AttributeValue,
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { allSettledOrThrow } from '../../core/settle';
import { type BackoffOptions, backoff, storeCall } from './retry';
import { DUE_PARTITION_PREFIX, DUE_PARTITIONS, STATE_ATTR } from './tables';
import type { UsageMeter } from './usage';

type Item = Record<string, AttributeValue>;

/** Width of a due bucket: keys are listed by the minute their next close time falls in. */
export const DUE_BUCKET_MS = 60_000;

/** One key listed as due: its state version when listed and the next close time that version holds. */
export interface DueEntry {
  readonly key: string;
  readonly version: number;
  readonly nextClose: number;
}

/** A due item read back: where it is (for deleting it) and what it lists. */
export interface DueItem {
  readonly partition: string;
  readonly sortKey: string;
  readonly entries: readonly DueEntry[];
}

/** Options of {@link DueIndex}. */
export interface DueIndexOptions {
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  readonly usage: UsageMeter;
  readonly backoff?: BackoffOptions;
  readonly now: () => number;
  /** Safety-net TTL of a due item that no closer deleted. @default 7 days */
  readonly ttlMs?: number;
}

const BUCKET_DIGITS = 12;

/** The due bucket of a time, zero-padded so sort keys order by time. */
export function dueBucket(time: number): string {
  return String(Math.max(0, Math.floor(time / DUE_BUCKET_MS))).padStart(BUCKET_DIGITS, '0');
}

function partitionOf(writer: string): string {
  let h = 0;
  for (let i = 0; i < writer.length; i++) h = (h * 31 + writer.charCodeAt(i)) >>> 0;
  return `${DUE_PARTITION_PREFIX}${h % DUE_PARTITIONS}`;
}

/**
 * Which keys have windows to close, and by when (issue: a closer whose reads do not grow with the table). Every writer
 * of state items — the processor after each batch's commit, the closer after finalizing — lists the keys it wrote
 * with a finite next close time in one small item per (writer batch, due minute), before it moves on (the processor
 * before its checkpoint, so a crash re-lists on retry). The closer queries the due minutes up to its watermark (a
 * few internal partitions, sort key `<minute>#<writer>`), finalizes what is still due, and deletes the items it has
 * settled. Reads per closer run grow with the keys due, not with the table; writes are one item per batch and minute.
 */
export class DueIndex {
  readonly #o: DueIndexOptions;

  constructor(options: DueIndexOptions) {
    this.#o = options;
  }

  /** List `entries` under `writer` (a deterministic name: a retry of the same batch overwrites its own items). */
  async list(writer: string, entries: readonly DueEntry[]): Promise<void> {
    const byBucket = new Map<string, DueEntry[]>();
    for (const entry of entries) {
      if (!Number.isFinite(entry.nextClose)) continue;
      const bucket = dueBucket(entry.nextClose);
      const list = byBucket.get(bucket);
      if (list) list.push(entry);
      else byBucket.set(bucket, [entry]);
    }
    const ttl = Math.ceil((this.#o.now() + (this.#o.ttlMs ?? 7 * 86_400_000)) / 1000);
    const partition = partitionOf(writer);
    await allSettledOrThrow(
      [...byBucket].map(async ([bucket, list]) => {
        const out = await storeCall('PutItem (due)', () =>
          this.#o.client.send(
            new PutItemCommand({
              TableName: this.#o.tableName,
              Item: {
                [STATE_ATTR.pk]: { S: partition },
                [STATE_ATTR.sk]: { S: `${bucket}#${writer}` },
                [STATE_ATTR.due]: encodeEntries(list),
                [STATE_ATTR.ttl]: { N: String(ttl) },
              },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        this.#o.usage.write(out.ConsumedCapacity?.CapacityUnits ?? 1);
      }),
    );
  }

  /** Every due item whose minute is at or before `time`'s (eventually consistent: a just-listed one waits a run). */
  async dueBy(time: number): Promise<DueItem[]> {
    const upTo = `${dueBucket(time)}#\uffff`;
    const items: DueItem[] = [];
    await allSettledOrThrow(
      Array.from({ length: DUE_PARTITIONS }, async (_, p) => {
        const partition = `${DUE_PARTITION_PREFIX}${p}`;
        let startKey: Item | undefined;
        do {
          const out = await storeCall('Query (due)', () =>
            this.#o.client.send(
              new QueryCommand({
                TableName: this.#o.tableName,
                KeyConditionExpression: '#pk = :pk AND #sk <= :upTo',
                ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#sk': STATE_ATTR.sk },
                ExpressionAttributeValues: { ':pk': { S: partition }, ':upTo': { S: upTo } },
                ExclusiveStartKey: startKey,
                ReturnConsumedCapacity: 'TOTAL',
              }),
            ),
          );
          this.#o.usage.read(out.ConsumedCapacity?.CapacityUnits ?? 0);
          for (const item of out.Items ?? []) {
            const sortKey = item[STATE_ATTR.sk]?.S;
            if (sortKey === undefined) continue;
            items.push({ partition, sortKey, entries: decodeEntries(item[STATE_ATTR.due]) });
          }
          startKey = out.LastEvaluatedKey;
        } while (startKey);
      }),
    );
    return items;
  }

  /** Delete settled due items. */
  async settle(items: readonly Pick<DueItem, 'partition' | 'sortKey'>[]): Promise<void> {
    for (let i = 0; i < items.length; i += 25) {
      let pending = items.slice(i, i + 25).map((it) => ({
        DeleteRequest: { Key: { [STATE_ATTR.pk]: { S: it.partition }, [STATE_ATTR.sk]: { S: it.sortKey } } },
      }));
      for (let round = 0; pending.length > 0 && round < 6; round++) {
        if (round > 0) await backoff(round - 1, this.#o.backoff);
        const out = await storeCall('BatchWriteItem (due)', () =>
          this.#o.client.send(
            new BatchWriteItemCommand({
              RequestItems: { [this.#o.tableName]: pending },
              ReturnConsumedCapacity: 'TOTAL',
            }),
          ),
        );
        this.#o.usage.write((out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0));
        pending = (out.UnprocessedItems?.[this.#o.tableName] ?? []) as typeof pending;
      }
    }
  }
}

/** `[[key, version, nextClose], ...]` as JSON text, deflated when that makes it smaller. */
function encodeEntries(entries: readonly DueEntry[]): AttributeValue {
  const json = JSON.stringify(entries.map((e) => [e.key, e.version, e.nextClose]));
  if (json.length < 900) return { S: json };
  const bytes = deflateRawSync(Buffer.from(json, 'utf8'), { level: 1 });
  return bytes.length < json.length ? { B: bytes } : { S: json };
}

function decodeEntries(value: AttributeValue | undefined): DueEntry[] {
  if (!value) return [];
  const v = value as { S?: string; B?: Uint8Array | string };
  const text =
    v.S ?? (v.B ? inflateRawSync(typeof v.B === 'string' ? Buffer.from(v.B, 'base64') : v.B).toString() : '');
  if (!text) return [];
  return (JSON.parse(text) as [string, number, number][]).map(([key, version, nextClose]) => ({
    key,
    version,
    nextClose,
  }));
}
