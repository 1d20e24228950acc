import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evenHashRanges, replay, shardRouter } from '../../../core';
import { referenceRun } from '../support/reference';
import { engineRun, kinesisSourceOf } from '../support/run';
import {
  type SessionWindowDef,
  sessionWindowArb,
  streamArb,
  type TestEvent,
  testPipeline,
  timedWindowArb,
  toLines,
} from '../support/streams';

describe('multi-shard replay: stream time per shard', () => {
  it('equals a reference that routes events by the Kinesis hash of the key over 4 even shards', () => {
    fc.assert(
      fc.property(
        timedWindowArb(10, 10),
        timedWindowArb(20, 10),
        sessionWindowArb(),
        streamArb({ keys: 8, maxEvents: 60, maxLag: 30 }),
        (t, h, s, events) => {
          const windows = { tumble: { ...t, kind: 'tumbling' as const, advance: t.size }, hop: h, sess: s };
          const pipeline = testPipeline(windows);
          const sourceOf = kinesisSourceOf(pipeline, 4);
          expect(engineRun(pipeline, events, 4)).toEqual(referenceRun(windows, events, { sourceOf }));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('equals the reference when the partition key is not the aggregation key (one key read from several shards)', () => {
    fc.assert(
      fc.property(
        timedWindowArb(10, 10),
        timedWindowArb(20, 10),
        streamArb({ keys: 3, partitions: 8, maxEvents: 60, maxLag: 30 }),
        (t, h, events) => {
          const windows = { tumble: { ...t, kind: 'tumbling' as const, advance: t.size }, hop: h };
          const pipeline = testPipeline(windows, { partitionByP: true });
          const sourceOf = kinesisSourceOf(pipeline, 4);
          expect(engineRun(pipeline, events, 4)).toEqual(referenceRun(windows, events, { sourceOf }));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('keeps a stream time per shard: an event late on one shard is on time on another', () => {
    const route = shardRouter(evenHashRanges(4));
    // Two keys on different shards.
    const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);
    const a = keys[0]!;
    const b = keys.find((k) => route(k) !== route(a))!;
    const windows = { t: { kind: 'tumbling', size: 10, advance: 10, grace: 0 } as const };
    const events: TestEvent[] = [
      { id: 'e0', k: a, p: a, t: 100, v: 1 },
      { id: 'e1', k: b, p: b, t: 5, v: 1 }, // shard of b is at 5: on time
      { id: 'e2', k: a, p: a, t: 5, v: 1 }, // shard of a is at 100: late
    ];
    const out = replay(testPipeline(windows), toLines(events), { shards: 4 });
    expect(out.late.map((l) => l.line)).toEqual([3]);
    expect(out.results.map((r) => [r.key, r.start])).toEqual(
      [
        [a, 100],
        [b, 0],
      ].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    // With one shard the same event is late.
    expect(replay(testPipeline(windows), toLines(events)).late.map((l) => l.line)).toEqual([2, 3]);
  });

  it('counts each event of a key read from several shards in exactly one session, or reports it late', () => {
    fc.assert(
      fc.property(sessionWindowArb(), streamArb({ keys: 2, partitions: 6, maxEvents: 40, maxLag: 30 }), (s, events) => {
        const out = replay(testPipeline({ sess: s }, { partitionByP: true }), toLines(events), { shards: 4 });
        const counted = out.results.flatMap((r) => (r.values as { ids: string[] }).ids);
        const late = out.late.map((l) => `e${l.line - 1}`);
        expect([...counted, ...late].sort()).toEqual(events.map((e) => e.id).sort());
      }),
      { numRuns: 150 },
    );
  });

  it('keeps both sessions of a key read from two shards when a new session starts where a closed one started', () => {
    // Sessions, gap 10, no grace, partition key `p` ≠ key `k`: key `a` is read from two shards.
    const route = shardRouter(evenHashRanges(4));
    const parts = Array.from({ length: 40 }, (_, i) => `p${i}`);
    const pa = parts[0]!;
    const pb = parts.find((p) => route(p) !== route(pa))!;
    const windows = { s: { kind: 'session', gap: 10, grace: 0 } as SessionWindowDef };
    const events: TestEvent[] = [
      { id: 'e0', k: 'a', p: pa, t: 0, v: 1 }, // session [0,0] (shard A)
      { id: 'e1', k: 'a', p: pa, t: 100, v: 1 }, // shard A at 100: [0,0] closes for key a; new session [100,100]
      { id: 'e2', k: 'a', p: pb, t: 0, v: 1 }, // shard B at 0: on time there; [0,0] is closed, so a new [0,0]
      { id: 'e3', k: 'a', p: pa, t: 200, v: 1 }, // closes the second [0,0] and [100,100]
    ];
    const out = replay(testPipeline(windows, { partitionByP: true }), toLines(events), { shards: 4 });
    expect(out.late).toEqual([]);
    // Every on-time event is counted exactly once across the key's sessions.
    const counted = out.results.flatMap((r) => (r.values as { ids: string[] }).ids).sort();
    expect(counted).toEqual(['e0', 'e1', 'e2', 'e3']);
  });
});
