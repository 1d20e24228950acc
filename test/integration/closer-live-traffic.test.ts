// The closer leaves keys with live traffic to the processor (issue 16: "a closer that never conflicts with keys that
// have live traffic"), also while the processor lags. Found by the long bill run: a slowed processor moved stream
// time more slowly than the clock, so keys it had written a minute ago (wall time) were seconds behind the stream,
// the closer finalized them, and the processor's next write of them failed its condition (22 per 1,000 events).
// A key is live when written within the live window of wall-clock time or of stream time, the latter measured
// against the sources that wrote it and are still writing; a key nobody is about to write is never held.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type CloserOutcome, runCloser } from '../../lambdas/closer/index';
import { fromStateItem, type StateStore, stateKey } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { emissionTables, processLines } from './emitter-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
afterAll(() => clients.destroy());

const MINUTE = 60_000;
const LIVE_WINDOW = MINUTE;
/** Sources stay active through the runs here unless a test says otherwise (the live test applies to active runs). */
const IDLE_TIMEOUT = 30 * MINUTE;
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / MINUTE) * MINUTE;
/** A second shard's identity (the processed lines come from the helpers' one shard). */
const OTHER_SHARD = 'test/shardId-000000000009';

const click = (id: string, userId: string, at: number) =>
  JSON.stringify({ eventId: id, userId, type: 'click', ts: new Date(at).toISOString() });

/** Key `a`'s last write is at this stream time (its first batch). */
const A_STREAM_TIME = T0 + 5 * MINUTE + 50_000;

/**
 * A table where key `a` is due for the closer: `a` is written at stream time T0 + 5m50s (its first batch of two
 * events); its minute [T0, T0 + 1m) closes at T0 + 6m (grace 5m), which `b`'s batch at `streamAt` passes. Every
 * write is stamped `writtenAt` (wall clock).
 */
async function prepare(label: string, streamAt: number, writtenAt: number) {
  const tables = await emissionTables(clients.dynamodb, label);
  const lines = [click('a-1', 'a', T0), click('a-2', 'a', A_STREAM_TIME), click('b-1', 'b', streamAt)];
  const { store } = await processLines(clickstream, clients.dynamodb, tables, lines, {
    batchSize: 2,
    now: () => writtenAt,
  });
  const version = async () =>
    fromStateItem(
      (await clients.dynamodb.send(new GetItemCommand({ TableName: tables.stateTable, Key: stateKey('a') }))).Item,
    ).version;
  const close = (runAt: number, options: { liveWindowMs?: number; idleTimeoutMs?: number } = {}) =>
    runCloser({
      pipeline: clickstream,
      client: clients.dynamodb,
      tableName: tables.stateTable,
      store,
      now: () => runAt,
      idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT,
      liveWindowMs: options.liveWindowMs ?? LIVE_WINDOW,
    });
  return { store, version, close };
}

/** One closer run over a prepared table; `a`'s item version before and after. */
async function scenario(
  label: string,
  streamAt: number,
  closer: { writtenAt: number; runAt: number; liveWindowMs?: number; before?: (store: StateStore) => Promise<void> },
): Promise<{ outcome: CloserOutcome; aVersionBefore: number; aVersionAfter: number }> {
  const { store, version, close } = await prepare(label, streamAt, closer.writtenAt);
  await closer.before?.(store);
  const aVersionBefore = await version();
  const outcome = await close(closer.runAt, { liveWindowMs: closer.liveWindowMs });
  return { outcome, aVersionBefore, aVersionAfter: await version() };
}

describe('closer: keys with live traffic are left to the processor', () => {
  it('a lagging processor: written 2 minutes ago by the clock but 30 s behind the stream, the key is live', async () => {
    const writtenAt = Date.now();
    const { outcome, aVersionBefore, aVersionAfter } = await scenario('live-lag', A_STREAM_TIME + 30_000, {
      writtenAt,
      runAt: writtenAt + 2 * MINUTE,
    });
    expect(outcome.watermark.mode).toBe('active');
    expect(outcome.watermark.watermark).toBe(A_STREAM_TIME + 30_000);
    expect(outcome.candidates).toBe(1);
    expect(outcome).toMatchObject({ live: 1, closed: 0, windows: 0, failedKeys: [] });
    expect(aVersionAfter).toBe(aVersionBefore);
  });

  it('once the stream moves a live window past the key, the closer finalizes it', async () => {
    const writtenAt = Date.now();
    const { outcome, aVersionBefore, aVersionAfter } = await scenario('live-passed', A_STREAM_TIME + 70_000, {
      writtenAt,
      runAt: writtenAt + 2 * MINUTE,
    });
    expect(outcome).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    expect(outcome.windows).toBeGreaterThan(0);
    expect(aVersionAfter).toBe(aVersionBefore + 1);
  });

  it('a backfill: an hour behind the stream but written 10 s ago by the clock, the key is live', async () => {
    const writtenAt = Date.now();
    const { outcome, aVersionAfter, aVersionBefore } = await scenario('live-backfill', A_STREAM_TIME + 60 * MINUTE, {
      writtenAt,
      runAt: writtenAt + 10_000,
    });
    expect(outcome).toMatchObject({ candidates: 1, live: 1, closed: 0 });
    expect(aVersionAfter).toBe(aVersionBefore);
  });

  it("a lagging other shard holds the watermark back, but the key's own shard has moved on: it is finalized", async () => {
    const writtenAt = Date.now();
    const { outcome, aVersionBefore, aVersionAfter } = await scenario('live-skew', A_STREAM_TIME + 70_000, {
      writtenAt,
      runAt: writtenAt + 2 * MINUTE,
      // Another shard, active but behind: due by the watermark (its minute closes at T0 + 6m), 20 s past the key.
      before: async (store) => {
        await store.putCheckpoint(OTHER_SHARD, {
          sequence: '1000',
          streamTime: A_STREAM_TIME + 20_000,
          lastValidAt: writtenAt,
        });
      },
    });
    expect(outcome.watermark.watermark).toBe(A_STREAM_TIME + 20_000);
    expect(outcome).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    expect(aVersionAfter).toBe(aVersionBefore + 1);
  });

  it('a live window of 0 leaves nothing live (the fault sweep races the closer this way)', async () => {
    const writtenAt = Date.now();
    const { outcome } = await scenario('live-zero', A_STREAM_TIME + 30_000, {
      writtenAt,
      runAt: writtenAt + 2 * MINUTE,
      liveWindowMs: 0,
    });
    expect(outcome).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
  });
});

describe('closer: a key nobody is about to write is never held', () => {
  it("the key's shard is stalled on a failing batch (valid records kept fresh, stream time still): finalized", async () => {
    const writtenAt = Date.now();
    const stalledFor = 6 * 60 * MINUTE;
    const { outcome, aVersionBefore, aVersionAfter } = await scenario('live-stalled', A_STREAM_TIME + 30_000, {
      writtenAt,
      runAt: writtenAt + stalledFor + 10_000,
      // The processor retries the shard's batch for 6 hours: it touches the checkpoint (the source is not idle), and
      // its checkpoint and stream time stay where they were.
      before: async (store) => {
        const [checkpoint] = await store.listCheckpoints();
        expect(await store.touchCheckpoint(checkpoint!.sourceId, writtenAt + stalledFor)).toBe(true);
      },
    });
    expect(outcome.watermark).toMatchObject({ mode: 'active', watermark: A_STREAM_TIME + 30_000 });
    expect(outcome).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    expect(aVersionAfter).toBe(aVersionBefore + 1);
  });

  it("the key's shard went idle while another shard lags behind it: finalized", async () => {
    const writtenAt = Date.now();
    const runAt = writtenAt + 40 * MINUTE;
    const { outcome, aVersionBefore, aVersionAfter } = await scenario('live-idle-writer', A_STREAM_TIME + 30_000, {
      writtenAt,
      runAt,
      // `a`'s shard has had nothing for 40 minutes (idle); another shard is active 20 s of stream time past `a`.
      before: async (store) => {
        await store.putCheckpoint(OTHER_SHARD, {
          sequence: '1000',
          streamTime: A_STREAM_TIME + 20_000,
          lastValidAt: runAt - 10_000,
        });
      },
    });
    expect(outcome.watermark).toMatchObject({ mode: 'active', watermark: A_STREAM_TIME + 20_000 });
    expect(outcome).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    expect(aVersionAfter).toBe(aVersionBefore + 1);
  });

  it("the closer wrote the key last: its next due window is not held by the closer's own stream time", async () => {
    const writtenAt = Date.now();
    const liveWindowMs = 2 * MINUTE;
    const { store, version, close } = await prepare('live-closer-last', A_STREAM_TIME + 3 * MINUTE, writtenAt);
    // First run at T0 + 8m50s: the key is 3 minutes behind the stream; the closer finalizes what is due.
    const first = await close(writtenAt + 5 * MINUTE, { liveWindowMs });
    expect(first).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    const afterFirst = await version();
    // The shard moves 70 s on, and the key's next hopping instance (closing at T0 + 10m) becomes due; no write of
    // the key since the closer's, whose stream time is 70 s behind: within the live window, but not traffic.
    const [checkpoint] = await store.listCheckpoints();
    await store.putCheckpoint(checkpoint!.sourceId, {
      sequence: '999999999',
      streamTime: A_STREAM_TIME + 3 * MINUTE + 70_000,
      lastValidAt: writtenAt + 8 * MINUTE,
    });
    const second = await close(writtenAt + 8 * MINUTE, { liveWindowMs });
    expect(second).toMatchObject({ candidates: 1, live: 0, closed: 1, failedKeys: [] });
    expect(await version()).toBe(afterFirst + 1);
  });
});
