// processSource with an in-memory store and sinks: side-output failures are edges no engine produces (SQS has no
// embedded engine), so the store and sinks are test doubles here; the integration tests run the real ones.
import { describe, expect, it } from 'vitest';
import { layoutOf } from '../../../core';
import {
  NO_STREAM_TIME,
  type ProcessContext,
  processSource,
  type SourceRecord,
} from '../../../lambdas/processor/index';
import type { SideOutputMessage, SideOutputSink } from '../../../lambdas/side-output/index';
import { type CommitRequest, compareSequence, type StoredState } from '../../../lambdas/state/index';
import { clickstream } from '../../../pipelines/clickstream';

/** A minimal in-memory StateStore: same contract (fence, skip, apply on current), no DynamoDB. */
function memoryStore() {
  const items = new Map<string, { state: unknown; applied: Record<string, string>; version: number }>();
  const checkpoints = new Map<string, { sourceId: string; sequence: string; streamTime: number; updatedAt: number }>();
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
    async putCheckpoint(sourceId: string, next: { sequence: string | number | bigint; streamTime: number }) {
      const checkpoint = { sourceId, sequence: String(next.sequence), streamTime: next.streamTime, updatedAt: 0 };
      checkpoints.set(sourceId, checkpoint);
      return { status: 'written' as const, checkpoint };
    },
    async listCheckpoints() {
      return [...checkpoints.values()];
    },
    async load(keys: string[]) {
      return new Map(keys.map((key) => [key, current(key)]));
    },
    async commit(requests: CommitRequest[]) {
      const results = requests.map((request) => {
        const cur = current(request.key);
        const done = cur.applied[request.sourceId];
        if (done !== undefined && compareSequence(done, request.lastSequence) >= 0) {
          return { key: request.key, status: 'skipped' as const, version: cur.version, attempts: 0 };
        }
        const next = request.apply(cur);
        if (!next) return { key: request.key, status: 'skipped' as const, version: cur.version, attempts: 0 };
        items.set(request.key, {
          state: next.state,
          applied: { ...cur.applied, [request.sourceId]: String(request.lastSequence) },
          version: cur.version + 1,
        });
        return { key: request.key, status: 'written' as const, version: cur.version + 1, attempts: 1 };
      });
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
    idempotency: undefined,
    dedupeTtlSeconds: 3600,
    rejected,
    late,
    log: silent,
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

  it('does not commit a key whose late entry could not be sent', async () => {
    const store = memoryStore();
    const late = sink(() => true);
    const records = [
      record(1, click('a', 'u1', 0)),
      record(2, click('b', 'u2', 20 * 60_000)), // moves stream time 20 minutes on
      record(3, click('c', 'u1', 0)), // late for every window of u1
    ];
    const out = await processSource(context(store, sink().sink, late.sink), { sourceId: 's', records });
    expect(out.failedAt?.sequence).toBe('1'); // u1's lowest record
    expect(out.noProgress).toBe(false); // u2 was written
    expect([...store.items.keys()]).toEqual(['u2']);
    expect(store.checkpoints.has('s')).toBe(false);
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
