// The closer leaves keys with live traffic to the processor (issue 16: "a closer that never conflicts with keys that
// have live traffic"), also while the processor lags. Found by the long bill run: a slowed processor moved stream
// time more slowly than the clock, so keys it had written a minute ago (wall time) were seconds behind the stream,
// the closer finalized them, and the processor's next write of them failed its condition (22 per 1,000 events).
// A key is live when written within the live window of wall-clock time or of stream time.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { type CloserOutcome, runCloser } from '../../lambdas/closer/index';
import { fromStateItem, stateKey } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { emissionTables, processLines } from './emitter-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
afterAll(() => clients.destroy());

const MINUTE = 60_000;
const LIVE_WINDOW = MINUTE;
/** Sources stay active through every run here (the live test applies to active runs only). */
const IDLE_TIMEOUT = 30 * MINUTE;
const T0 = Math.floor((Date.now() - 2 * 3_600_000) / MINUTE) * MINUTE;

const click = (id: string, userId: string, at: number) =>
  JSON.stringify({ eventId: id, userId, type: 'click', ts: new Date(at).toISOString() });

/**
 * Key `a` is written at stream time T0 + 5m50s (its first batch); its minute [T0, T0 + 1m) closes at T0 + 6m (grace
 * 5m), which a later batch of other keys passes: `a` is due for the closer at the watermark `streamAt`.
 */
function lines(streamAt: number): string[] {
  return [click('a-1', 'a', T0), click('a-2', 'a', T0 + 5 * MINUTE + 50_000), click('b-1', 'b', streamAt)];
}
const A_STREAM_TIME = T0 + 5 * MINUTE + 50_000;

/** Process `lines` at wall time `writtenAt` (batches of 2: `a`'s two events, then `b`), then one closer run. */
async function scenario(
  label: string,
  streamAt: number,
  closer: { writtenAt: number; runAt: number; liveWindowMs?: number; laggingShardAt?: number },
): Promise<{ outcome: CloserOutcome; aVersionBefore: number; aVersionAfter: number }> {
  const tables = await emissionTables(clients.dynamodb, label);
  const { store } = await processLines(clickstream, clients.dynamodb, tables, lines(streamAt), {
    batchSize: 2,
    now: () => closer.writtenAt,
  });
  if (closer.laggingShardAt !== undefined) {
    // Another shard, active but behind: it holds the pipeline watermark back while `a`'s shard moves on.
    await store.putCheckpoint('arn:aws:kinesis:us-east-1:000000000000:stream/test/shardId-000000000009', {
      sequence: '1000',
      streamTime: closer.laggingShardAt,
      lastValidAt: closer.writtenAt,
    });
  }
  const version = async () =>
    fromStateItem(
      (await clients.dynamodb.send(new GetItemCommand({ TableName: tables.stateTable, Key: stateKey('a') }))).Item,
    ).version;
  const aVersionBefore = await version();
  const outcome = await runCloser({
    pipeline: clickstream,
    client: clients.dynamodb,
    tableName: tables.stateTable,
    store,
    now: () => closer.runAt,
    idleTimeoutMs: IDLE_TIMEOUT,
    liveWindowMs: closer.liveWindowMs ?? LIVE_WINDOW,
  });
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
      laggingShardAt: A_STREAM_TIME + 20_000,
    });
    // Due by the watermark (its minute closes at T0 + 6m), 20 s of it past the key, 70 s of the key's own shard.
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
