import {
  type AttributeValue,
  type DynamoDBClient,
  ScanCommand,
  type ScanCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { closeUpTo, type Layout, layoutOf, nextCloseTime, type Pipeline, stateExpiry } from '../../core';
import { readStoredValue, toStoredValue } from '../processor/stored-state';
import { callWithRetry } from '../state/retry';
import type { StateStore } from '../state/state-store';
import { STATE_ATTR, STATE_SORT_KEY } from '../state/tables';
import { CloserQueryError, InvalidCloserSettingError } from './errors';
import { type PipelineWatermark, pipelineWatermark } from './watermark';

/** The source id under which the closer's commits are fenced (its "sequence" is the watermark). */
export const CLOSER_SOURCE_ID = '#closer';

/** Default idle timeout: a source silent for a minute no longer holds the watermark back. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** What {@link runCloser} needs. */
export interface CloserDeps {
  readonly pipeline: Pipeline;
  /** DynamoDB client (the Query of the index). */
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  /** The state store of the same table (its cache is cleared each run: the processor writes in between). */
  readonly store: Pick<StateStore, 'listCheckpoints' | 'commit' | 'clearCache' | 'takeUsage'>;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 60000 */
  readonly idleTimeoutMs?: number;
  readonly log?: { warn(message: string, fields?: Record<string, unknown>): void };
}

/** What one closer run did. */
export interface CloserOutcome {
  readonly watermark: PipelineWatermark;
  /** Keys the index returned (nc ≤ watermark). */
  readonly candidates: number;
  /** Keys written (something became final). */
  readonly closed: number;
  /** Windows finalized (results written into the items' `r` for the emitter). */
  readonly windows: number;
  /** Keys that could not be committed (tried again next run). */
  readonly failedKeys: readonly string[];
  readonly writeUnits: number;
  readonly readUnits: number;
}

/**
 * One closer run (EventBridge Scheduler every minute in the cloud; a timer in the local runtime): compute the
 * pipeline watermark from the checkpoints (idle sources excluded), find the keys with something closing at or before
 * it (a filtered parallel Scan of the state table on `nc`), and finalize each with ONE conditional write through
 * the StateStore: `closeUpTo` on the current state, its results in `r` exactly like the processor writes them, so the
 * emitter emits them. The write is fenced by source `#closer` with the watermark as sequence, and by the item
 * version, so a window is finalized once whoever (processor or closer) gets there first.
 */
export async function runCloser(deps: CloserDeps): Promise<CloserOutcome> {
  const now = (deps.now ?? Date.now)();
  const idle = deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!Number.isFinite(idle) || idle <= 0)
    throw new InvalidCloserSettingError('idleTimeoutMs', idle, 'a positive number of ms');
  const layout = layoutOf(deps.pipeline);
  deps.store.clearCache();
  const watermark = pipelineWatermark(await deps.store.listCheckpoints(), now, idle);
  const empty = { watermark, candidates: 0, closed: 0, windows: 0, failedKeys: [] as string[] };
  const wm = Math.floor(watermark.watermark);
  if (!Number.isFinite(wm) || wm < 0) return { ...empty, ...deps.store.takeUsage() };
  const { keys, readUnits } = await keysClosingBy(deps, wm);
  if (keys.length === 0) {
    const usage = deps.store.takeUsage();
    return { ...empty, writeUnits: usage.writeUnits, readUnits: usage.readUnits + readUnits };
  }
  const windows = new Map<string, number>();
  const commit = await deps.store.commit(
    keys.map((key) => ({
      key,
      sourceId: CLOSER_SOURCE_ID,
      lastSequence: String(wm),
      apply: (current) => {
        windows.delete(key);
        return closeKey(layout, key, current.state, wm, (n) => windows.set(key, n));
      },
    })),
  );
  for (const r of commit.results) {
    if (r.status === 'failed')
      deps.log?.warn('closer: key not finalized (next run retries)', { key: r.key, error: String(r.error) });
  }
  const written = commit.results.filter((r) => r.status === 'written');
  const usage = deps.store.takeUsage();
  return {
    watermark,
    candidates: keys.length,
    closed: written.length,
    windows: written.reduce((n, r) => n + (windows.get(r.key) ?? 0), 0),
    failedKeys: commit.failedKeys,
    writeUnits: usage.writeUnits,
    readUnits: usage.readUnits + readUnits,
  };
}

/** The next stored value of a key closed up to `watermark`, or undefined when nothing becomes final (no write). */
function closeKey(layout: Layout, key: string, value: unknown, watermark: number, count: (n: number) => void) {
  if (value === undefined) return undefined;
  const { k } = readStoredValue(key, value);
  if (nextCloseTime(layout, k) > watermark) return undefined; // the scan read an older item: already closed
  const results = closeUpTo(layout, key, k, watermark);
  if (results.length === 0) return undefined;
  count(results.length);
  const expiresAt = stateExpiry(layout, k) * 1000;
  return {
    state: toStoredValue(k, results, []),
    nextClose: nextCloseTime(layout, k),
    ...(expiresAt >= 1e11 ? { expiresAt } : {}),
  };
}

/** Parallel Scan segments of the state table. */
const SCAN_SEGMENTS = 4;

/**
 * Keys of state items whose `nc` ≤ watermark: a filtered, eventually consistent parallel Scan of the state table.
 * A Scan, not an index: a sparse index on `nc` would cost an index write on nearly every state write (the key's next
 * close time moves with its windows), which at scale costs far more than the closer's periodic reads.
 */
async function keysClosingBy(deps: CloserDeps, watermark: number): Promise<{ keys: string[]; readUnits: number }> {
  const keys = new Set<string>();
  let readUnits = 0;
  await Promise.all(
    Array.from({ length: SCAN_SEGMENTS }, async (_, segment) => {
      let start: Record<string, AttributeValue> | undefined;
      do {
        let out: ScanCommandOutput;
        try {
          out = await callWithRetry(
            'Scan (next close)',
            () =>
              deps.client.send(
                new ScanCommand({
                  TableName: deps.tableName,
                  Segment: segment,
                  TotalSegments: SCAN_SEGMENTS,
                  FilterExpression: '#sk = :state AND #nc <= :wm',
                  ProjectionExpression: '#pk, #sk',
                  ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#sk': STATE_ATTR.sk, '#nc': STATE_ATTR.nextClose },
                  ExpressionAttributeValues: { ':state': { S: STATE_SORT_KEY }, ':wm': { N: String(watermark) } },
                  ExclusiveStartKey: start,
                  ReturnConsumedCapacity: 'TOTAL',
                }),
              ),
            { maxRetries: 2 },
          );
        } catch (error) {
          throw new CloserQueryError(`segment ${segment}`, { cause: error });
        }
        readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
        for (const item of out.Items ?? []) {
          const key = item[STATE_ATTR.pk]?.S;
          if (key !== undefined && item[STATE_ATTR.sk]?.S === STATE_SORT_KEY) keys.add(key);
        }
        start = out.LastEvaluatedKey;
      } while (start);
    }),
  );
  return { keys: [...keys], readUnits };
}
