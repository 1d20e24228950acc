// processSource with an in-memory store and sinks: side-output failures are edges no engine produces (SQS has no
// embedded engine), so the store and sinks are test doubles here; the integration tests run the real ones.
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../../core';
import {
  expandOutbox,
  NO_STREAM_TIME,
  type ProcessContext,
  processSource,
  type SourceRecord,
  type StoredKeyState,
} from '../../../lambdas/processor/index';
import type { SideOutputMessage, SideOutputSink } from '../../../lambdas/side-output/index';
import {
  type Checkpoint,
  type CheckpointInput,
  type CommitRequest,
  compareSequence,
  type StoredState,
} from '../../../lambdas/state/index';
import { clickstream } from '../../../pipelines/clickstream';

/** A minimal in-memory StateStore: same contract (fence, skip, apply on current), no DynamoDB. */
function memoryStore() {
  const items = new Map<string, { state: unknown; applied: Record<string, string>; version: number }>();
  const checkpoints = new Map<string, Checkpoint>();
  const current = (key: string): StoredState => {
    const item = items.get(key);
    return {
      key,
      state: item ? structuredClone(item.state) : undefined,
      applied: { ...(item?.applied ?? {}) },
      version: item?.version ?? 0,
      expired: false,
    };
  };
  return {
    items,
    checkpoints,
    async getCheckpoint(sourceId: string) {
      return checkpoints.get(sourceId);
    },
    async putCheckpoint(sourceId: string, next: CheckpointInput) {
      const checkpoint: Checkpoint = {
        sourceId,
        sequence: String(next.sequence),
        streamTime: next.streamTime,
        updatedAt: 0,
        epoch: next.epoch ?? 0,
      };
      checkpoints.set(sourceId, checkpoint);
      return { status: 'written' as const, checkpoint };
    },
    async listCheckpoints() {
      return [...checkpoints.values()];
    },
    async readClaims() {
      return new Map<number, Set<string>>();
    },
    async spillClaims() {},
    async dropClaims() {},
    async listDue() {},
    async touchCheckpoint() {
      return true;
    },
    async commit(requests: CommitRequest[]) {
      const results = [];
      for (const request of requests) {
        const cur = current(request.key);
        const done = cur.applied[request.sourceId];
        if (done !== undefined && compareSequence(done, request.lastSequence) >= 0) {
          results.push({ key: request.key, status: 'skipped' as const, version: cur.version, attempts: 0 });
          continue;
        }
        let next = request.apply(cur);
        while (next && 'pending' in next) {
          await next.pending();
          next = request.apply(cur);
        }
        if (!next) {
          results.push({ key: request.key, status: 'skipped' as const, version: cur.version, attempts: 0 });
          continue;
        }
        items.set(request.key, {
          state: next.state,
          applied: { ...cur.applied, [request.sourceId]: String(request.lastSequence) },
          version: cur.version + 1,
        });
        results.push({ key: request.key, status: 'written' as const, version: cur.version + 1, attempts: 1 });
      }
      const totals = { writeUnits: 0, readUnits: 0, conflicts: 0, retries: 0, writes: 0, cacheHits: 0, cacheMisses: 0 };
      return { results, failedKeys: [], ok: true, totals };
    },
    takeUsage: () => ({ readUnits: 0, writeUnits: 0 }),
  };
}

/** A sink that fails the messages `fails` picks. */
function sink(fails: (m: SideOutputMessage) => boolean = () => false) {
  const sent: SideOutputMessage[] = [];
  const s: SideOutputSink = {
    name: 'memory',
    async send(messages) {
      const failedIds = messages.filter(fails).map((m) => m.id);
      sent.push(...messages.filter((m) => !fails(m)));
      return {
        sent: messages.length - failedIds.length,
        failedIds,
        retries: 0,
        errors: failedIds.length ? [new Error('queue down')] : [],
      };
    },
  };
  return { sink: s, sent };
}

const T0 = Date.UTC(2026, 0, 1, 10, 0, 0);
const record = (seq: number, body: unknown): SourceRecord => ({
  sequence: String(seq),
  data: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)).toString('base64'),
  arrivalMs: T0 + 3_600_000,
});
const click = (id: string, user: string, offsetMs: number) => ({
  eventId: id,
  userId: user,
  type: 'click',
  ts: new Date(T0 + offsetMs).toISOString(),
});
const silent = { info() {}, warn() {}, error() {} };

function context(
  store: ReturnType<typeof memoryStore>,
  rejected: SideOutputSink,
  late: SideOutputSink,
): ProcessContext {
  const pipeline = { ...clickstream, idOf: undefined };
  return {
    pipeline,
    layout: layoutOf(pipeline),
    store,
    rejected,
    late,
    log: silent,
    now: () => T0 + 3_600_000,
    idleTimeoutMs: 60_000,
    stateTtlMs: 86_400_000,
  };
}

describe('processSource', () => {
  it('stops at a rejected record whose side output failed; the checkpoint stays just before it', async () => {
    const store = memoryStore();
    const rejected = sink(() => true);
    const records = [record(1, click('a', 'u1', 0)), record(2, 'not json'), record(3, click('b', 'u2', 1000))];
    const out = await processSource(context(store, rejected.sink, sink().sink), { sourceId: 's', records });
    expect(out.failedAt?.sequence).toBe('2');
    expect(out.noProgress).toBe(false);
    expect(store.checkpoints.get('s')).toMatchObject({ sequence: '1', streamTime: T0 });
    // Keys are committed anyway (fenced, a retry from record 2 skips them).
    expect([...store.items.keys()].sort()).toEqual(['u1', 'u2']);
    const retry = await processSource(context(store, sink().sink, sink().sink), {
      sourceId: 's',
      records: records.slice(1),
    });
    expect(retry.failedAt).toBeUndefined();
    expect(retry.stats.stateWrites).toBe(0);
    expect(store.checkpoints.get('s')?.sequence).toBe('3');
  });

  // docs/architecture.md §2.3: a late decision travels in the key's state write (its outbox `o`), so it is decided on the state
  // the write is validated against and cannot be lost: a failed immediate send only leaves the emitter to deliver it.
  it('commits a key with its late entries in the write, whatever the immediate send does', async () => {
    const store = memoryStore();
    const late = sink(() => true);
    const records = [
      record(1, click('a', 'u1', 0)),
      record(2, click('b', 'u2', 20 * 60_000)), // moves stream time 20 minutes on
      record(3, click('c', 'u1', 0)), // late for every window of u1
    ];
    const out = await processSource(context(store, sink().sink, late.sink), { sourceId: 's', records });
    expect(out.failedAt).toBeUndefined();
    expect([...store.items.keys()].sort()).toEqual(['u1', 'u2']);
    const stored = store.items.get('u1')!.state as StoredKeyState;
    expect(
      expandOutbox(stored.o ?? [])
        .map((m) => m.id)
        .sort(),
    ).toEqual([
      's:3:activity5m:1767261360000',
      's:3:activity5m:1767261420000',
      's:3:activity5m:1767261480000',
      's:3:activity5m:1767261540000',
      's:3:activity5m:1767261600000',
      's:3:perMinute:1767261600000',
      's:3:sessions:1767261600000',
    ]);
    expect(out.stats.late).toBe(1);
    expect(store.checkpoints.get('s')?.sequence).toBe('3');
  });

  it('checkpoints a batch of only rejected records with no stream time', async () => {
    const store = memoryStore();
    const rejected = sink();
    const out = await processSource(context(store, rejected.sink, sink().sink), {
      sourceId: 's',
      records: [record(5, '{'), record(6, '[]')],
    });
    expect(out.failedAt).toBeUndefined();
    expect(rejected.sent.map((m) => m.id)).toEqual(['s:5', 's:6']);
    expect(store.checkpoints.get('s')).toMatchObject({ sequence: '6', streamTime: NO_STREAM_TIME });
  });
});
