import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { closeUpTo, type Layout, layoutOf, nextCloseTime, type Pipeline, stateHorizonMs } from '../../core';
import { DEFAULT_IDLE_TIMEOUT_MS } from '../../core/contract';
import { SettingError } from '../../core/errors';
import { MAPPING_DEFAULTS } from '../../core/function-defaults';
import { keyStateFor } from '../processor/key-state';
import { readStoredValue, toStoredValue } from '../processor/stored-state';
import {
  type Checkpoint,
  type DueEntry,
  type DueItem,
  fenceKey,
  fromStateItem,
  LayoutRegistry,
  type PipelineWatermark,
  pipelineWatermark,
  STATE_ATTR,
  type StateRecord,
  type StateStore,
  stateKey,
} from '../state/index';
import { storeCall } from '../state/retry';
import { recentlyWritten, writingSources } from './live-traffic';

/** The source id under which the closer's commits are fenced (its "sequence" is the watermark). */
export const CLOSER_SOURCE_ID = '#closer';

export { DEFAULT_IDLE_TIMEOUT_MS } from '../../core';

/** What {@link runCloser} needs. */
export interface CloserDeps {
  readonly pipeline: Pipeline;
  /** DynamoDB client (candidate reads). */
  readonly client: Pick<DynamoDBClient, 'send'>;
  readonly tableName: string;
  /** The state store of the same table (checkpoints, the due index, commits). */
  readonly store: Pick<
    StateStore,
    'listCheckpoints' | 'commit' | 'takeUsage' | 'dueBy' | 'settleDue' | 'listDue' | 'prime'
  >;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default 60000 */
  readonly idleTimeoutMs?: number;
  /**
   * The processor's ParallelizationFactor: above 1 every key has its own stream time, so while any source is active
   * the closer finalizes nothing (another lane's stream time says nothing about a key). @default 1
   */
  readonly parallelizationFactor?: number;
  /**
   * Time since a key's last write, in wall-clock time or in stream time (see {@link recentlyWritten}), below which it
   * has live traffic and is left to the processor. @default idle timeout
   */
  readonly liveWindowMs?: number;
  readonly log?: { warn(message: string, fields?: Record<string, unknown>): void };
  /**
   * The state table's layout registry (keep one per container). States written under another definition are read by
   * name through it.
   * @default - one for this run
   */
  readonly layouts?: LayoutRegistry;
}

/** What one closer run did. */
export interface CloserOutcome {
  readonly watermark: PipelineWatermark;
  /** Keys the due index listed as due by the watermark. */
  readonly candidates: number;
  /** Keys written (something became final). */
  readonly closed: number;
  /** Windows finalized (results written into the items' `r` for the emitter). */
  readonly windows: number;
  /** Keys with live traffic left to the processor this run. */
  readonly live: number;
  /** Keys that could not be committed (tried again next run). */
  readonly failedKeys: readonly string[];
  readonly writeUnits: number;
  readonly readUnits: number;
}

/**
 * One closer run (EventBridge Scheduler every minute in the cloud; a timer in the local runtime): compute the
 * pipeline watermark from the checkpoints (idle sources excluded; a source with no valid record is idle), read the
 * keys the due index lists as closing by it, and finalize each key that is still due with ONE conditional write
 * through the StateStore: `closeUpTo` on the current state, its results in `r` exactly like the processor writes
 * them, so the emitter emits them. The write is fenced by source `#closer` with the watermark as sequence, and by
 * the item version, so a window is finalized once whoever (processor or closer) gets there first.
 *
 * Reads grow with the keys due, never with the table (no Scan). Keys written within `liveWindowMs` (of the clock or
 * of stream time) are left alone in active mode: the processor finalizes them with its next write, so the closer
 * does not conflict with live traffic, also while the processor lags.
 */
export async function runCloser(deps: CloserDeps): Promise<CloserOutcome> {
  const view = await watermarkView(deps);
  if ((!Number.isFinite(view.wm) || view.wm < 0) && !view.lanes) return nothingToClose(deps, view.watermark);
  const dueItems = await deps.store.dueBy(view.bound);
  const listed = latestListings(dueItems);
  const due = [...listed.values()].filter((e) => e.nextClose <= view.bound);
  const { records, readUnits } =
    due.length > 0 ? await readCandidates(deps, due) : { records: new Map(), readUnits: 0 };
  const sorted = sortCandidates(deps, view, due, records);
  const { commit, windows } = await closeKeys(deps, view, sorted.toClose, records);
  for (const r of commit.results) {
    if (r.status === 'failed') {
      deps.log?.warn('closer: key not finalized (next run retries)', { key: r.key, error: r.error });
      continue;
    }
    sorted.handled.add(r.key);
    if (r.nextClose !== undefined) sorted.relisted.push({ key: r.key, version: r.version, nextClose: r.nextClose });
  }
  await settleListings(deps, view, dueItems, listed, sorted);
  const written = commit.results.filter((r) => r.status === 'written');
  const usage = deps.store.takeUsage();
  return {
    watermark: view.watermark,
    candidates: due.length,
    closed: written.length,
    windows: written.reduce((n, r) => n + (windows.get(r.key) ?? 0), 0),
    live: sorted.live,
    failedKeys: commit.failedKeys,
    writeUnits: usage.writeUnits,
    readUnits: usage.readUnits + readUnits,
  };
}

/** What a closer run decides by: the time, the watermark and how keys are due by it. */
interface WatermarkView {
  readonly now: number;
  readonly idle: number;
  readonly checkpoints: Awaited<ReturnType<CloserDeps['store']['listCheckpoints']>>;
  readonly watermark: PipelineWatermark;
  /** The watermark, floored. */
  readonly wm: number;
  /** ParallelizationFactor > 1: every key has its own stream time. */
  readonly lanes: boolean;
  /** Keys listed as closing by this time are candidates. */
  readonly bound: number;
  /** Fence key of each source with a checkpoint. */
  readonly fences: ReadonlySet<string>;
  /** Fence key of each source still writing → its stream time (see {@link recentlyWritten}). */
  readonly writing: ReadonlyMap<string, number>;
  readonly closerFence: string;
}

/** The pipeline watermark from the checkpoints, and the bound keys are due by. */
async function watermarkView(deps: CloserDeps): Promise<WatermarkView> {
  const now = (deps.now ?? Date.now)();
  const idle = deps.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  if (!Number.isFinite(idle) || idle <= 0) throw new SettingError('idleTimeoutMs', idle, 'a positive number of ms');
  const checkpoints = await deps.store.listCheckpoints();
  const watermark = pipelineWatermark(checkpoints, now, idle);
  const wm = Math.floor(watermark.watermark);
  const lanes = (deps.parallelizationFactor ?? MAPPING_DEFAULTS.parallelizationFactor) > 1;
  // Keys are due by the pipeline watermark; with lanes (ParallelizationFactor > 1) by their own stream time once their
  // own last write is older than the idle timeout (never by another lane's progress), or by the idle pipeline's.
  const bound = lanes && watermark.mode !== 'idle' ? now + deps.pipeline.settings.maxFutureSkewMs : wm;
  const fences = new Set(checkpoints.map(checkpointFence));
  const writing = new Map(writingSources(checkpoints, now, idle).map((c) => [checkpointFence(c), c.streamTime]));
  const closerFence = fenceKey(CLOSER_SOURCE_ID);
  return { now, idle, checkpoints, watermark, wm, lanes, bound, fences, writing, closerFence };
}

/** The outcome of a run with no watermark to close by. */
function nothingToClose(deps: CloserDeps, watermark: PipelineWatermark): CloserOutcome {
  const usage = deps.store.takeUsage();
  return {
    watermark,
    candidates: 0,
    closed: 0,
    windows: 0,
    live: 0,
    failedKeys: [],
    writeUnits: usage.writeUnits,
    readUnits: usage.readUnits,
  };
}

/** The watermark a key is closed by (its own stream time with lanes, while the pipeline is not idle). */
function keyWatermark(view: WatermarkView, record: StateRecord): number {
  const { lanes, watermark, wm, now, idle } = view;
  if (!lanes || watermark.mode === 'idle') return wm;
  const ut = record.updatedAt ?? now;
  if (now - ut <= idle || record.stateJson === undefined) return Number.NEGATIVE_INFINITY;
  const { k } = readStoredValue('', JSON.parse(record.stateJson));
  return Number.isFinite(k.m) ? Math.floor(k.m + (now - ut)) : Number.NEGATIVE_INFINITY;
}

/** The candidates sorted: to close (with their watermark), listed again, left to live traffic, or handled. */
interface SortedCandidates {
  readonly toClose: Map<string, number>;
  readonly handled: Set<string>;
  readonly relisted: DueEntry[];
  readonly live: number;
}

function sortCandidates(
  deps: CloserDeps,
  view: WatermarkView,
  due: readonly DueEntry[],
  records: ReadonlyMap<string, StateRecord>,
): SortedCandidates {
  const { lanes, watermark, idle } = view;
  const liveWindow = deps.liveWindowMs ?? idle;
  const sorted = {
    toClose: new Map<string, number>(),
    handled: new Set<string>(),
    relisted: [] as DueEntry[],
    live: 0,
  };
  const unknownWriter = unknownWriterTest(view);
  for (const entry of due) {
    const record = records.get(entry.key);
    if (!record) {
      sorted.handled.add(entry.key); // the item is gone: nothing to close
      continue;
    }
    if (record.version < entry.version) continue; // read stale: next run
    const keyWm = keyWatermark(view, record);
    if (record.nextClose === undefined || record.nextClose > keyWm) {
      // Nothing due now (settled by a later write, or not due yet): the item's current state is listed again, so
      // the listing read here can go whatever became of the write that made it.
      if (!(lanes && keyWm === Number.NEGATIVE_INFINITY && watermark.mode !== 'idle')) {
        sorted.handled.add(entry.key);
        if (record.nextClose !== undefined) {
          sorted.relisted.push({ key: entry.key, version: record.version, nextClose: record.nextClose });
        }
      }
      continue;
    }
    if (watermark.mode === 'active' && !lanes && (recentlyWritten(view, liveWindow, record) || unknownWriter(record))) {
      sorted.live++; // live traffic: the processor finalizes it with its next write
      continue;
    }
    sorted.toClose.set(entry.key, keyWm);
  }
  return sorted;
}

/**
 * An active watermark covers the sources with a checkpoint only. A source without one (its first batch died before
 * its checkpoint; a child shard after a reshard) may still deliver on-time records for windows the others passed:
 * a key such a source wrote within the idle timeout is left to the processor.
 */
function unknownWriterTest(view: WatermarkView): (record: StateRecord) => boolean {
  const known = new Set([view.closerFence, ...view.fences]);
  return (record) =>
    Object.entries(record.appliedAt).some(
      ([fence, minutes]) => !known.has(fence) && view.now - minutes * 60_000 < view.idle + 60_000,
    );
}

/** The fence key a source's writes carry in state items (its identity, with the epoch once it restarted). */
function checkpointFence(c: Pick<Checkpoint, 'sourceId' | 'epoch'>): string {
  return fenceKey(c.epoch ? `${c.sourceId}#${c.epoch}` : c.sourceId);
}

/** Finalize the keys to close, each with one conditional write fenced by {@link CLOSER_SOURCE_ID}. */
async function closeKeys(
  deps: CloserDeps,
  view: WatermarkView,
  toClose: ReadonlyMap<string, number>,
  records: ReadonlyMap<string, StateRecord>,
) {
  const layout = layoutOf(deps.pipeline);
  deps.store.prime(new Map([...toClose.keys()].map((key) => [key, records.get(key)!])));
  const windows = new Map<string, number>();
  const layouts = deps.layouts ?? new LayoutRegistry({ client: deps.client, tableName: deps.tableName });
  const commit = await deps.store.commit(
    [...toClose].map(([key, keyWm]) => ({
      key,
      sourceId: fenceKey(CLOSER_SOURCE_ID),
      lastSequence: String(Math.max(0, keyWm)),
      apply: (current) => {
        windows.delete(key);
        return closeKey(layout, layouts, key, current.state, keyWm, view.now, (n) => windows.set(key, n));
      },
    })),
  );
  return { commit, windows };
}

/**
 * List what this run wrote or found (a name of its own: runs never overwrite each other), then drop the listings
 * it settled: an item goes only when every key in it is due by now and settled by this run or by a newer listing.
 */
async function settleListings(
  deps: CloserDeps,
  view: WatermarkView,
  dueItems: readonly DueItem[],
  listed: ReadonlyMap<string, DueEntry>,
  sorted: SortedCandidates,
): Promise<void> {
  await deps.store.listDue(`c#${view.wm}#${view.now}#${Math.random().toString(36).slice(2, 10)}`, sorted.relisted);
  const newest = (key: string) => listed.get(key)?.version ?? -1;
  await deps.store.settleDue(
    dueItems.filter((item) =>
      item.entries.every((e) => e.nextClose <= view.bound && (sorted.handled.has(e.key) || newest(e.key) > e.version)),
    ),
  );
}

/** Per key, the listing of the newest state version among the due items. */
function latestListings(items: readonly DueItem[]): Map<string, DueEntry> {
  const latest = new Map<string, DueEntry>();
  for (const item of items) {
    for (const entry of item.entries) {
      const known = latest.get(entry.key);
      if (!known || entry.version > known.version) latest.set(entry.key, entry);
    }
  }
  return latest;
}

/**
 * The current items of the due keys: eventually consistent reads (half the price), checked against the version the
 * due index listed (an older version is read again next run). The commit's condition settles any other staleness.
 */
async function readCandidates(
  deps: CloserDeps,
  due: readonly DueEntry[],
): Promise<{ records: Map<string, StateRecord>; readUnits: number }> {
  const records = new Map<string, StateRecord>();
  let readUnits = 0;
  for (let i = 0; i < due.length; i += 100) {
    let keys = due.slice(i, i + 100).map((e) => stateKey(e.key));
    for (let round = 0; keys.length > 0 && round < 5; round++) {
      const out = await storeCall('BatchGetItem (closer)', () =>
        deps.client.send(
          new BatchGetItemCommand({
            RequestItems: { [deps.tableName]: { Keys: keys } },
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      readUnits += (out.ConsumedCapacity ?? []).reduce((n, c) => n + (c.CapacityUnits ?? 0), 0);
      for (const item of out.Responses?.[deps.tableName] ?? []) {
        const key = item[STATE_ATTR.pk]?.S;
        if (key === undefined) continue;
        records.set(key, fromStateItem(item));
      }
      keys = (out.UnprocessedKeys?.[deps.tableName]?.Keys ?? []) as typeof keys;
    }
  }
  return { records, readUnits };
}

/** The next stored value of a key closed up to `watermark`, or undefined when nothing becomes final (no write). */
function closeKey(
  layout: Layout,
  layouts: LayoutRegistry,
  key: string,
  value: unknown,
  watermark: number,
  now: number,
  count: (n: number) => void,
) {
  if (value === undefined) return undefined;
  const k = keyStateFor(layout, layouts, key, value);
  if ('pending' in k) return k; // the layout registry first (README "Changing a pipeline")
  if (nextCloseTime(layout, k) > watermark) return undefined; // already closed by a newer write
  const results = closeUpTo(layout, key, k, watermark);
  if (results.length === 0) return undefined;
  count(results.length);
  return {
    state: toStoredValue(k, results, []),
    nextClose: nextCloseTime(layout, k),
    expiresAt: now + stateHorizonMs(layout.pipeline),
  };
}
