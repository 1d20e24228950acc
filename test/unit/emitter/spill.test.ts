// Spill keys and bodies, the two SpillStores, and redeliverSpilled's bookkeeping (no network). The S3 store is checked
// against a mocked S3 client (aws-sdk-client-mock): there is no S3 engine on these machines (no Docker); the folder
// store, which the local runtime uses and the outage integration test runs end to end, is real.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  createSpillRedelivery,
  readSpillBody,
  redeliverSpilled,
  S3SpillStore,
  SpillFormatError,
  sinkOfSpillKey,
  spillBody,
  spillKey,
  UNDELIVERED_PREFIX,
} from '../../../lambdas/emitter/index';
import type { EmitMessage, Sink, SinkOutcome } from '../../../lambdas/sinks/index';
import { FolderSpillStore } from '../../../local/runtime/index';

const s3 = mockClient(S3Client);
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfold-spill-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  s3.reset();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
afterAll(() => s3.restore());

const T = Date.parse('2026-06-01T23:59:58.123Z');
const result = (n: number): EmitMessage => ({
  kind: 'result',
  id: `r${n}`,
  pipeline: 'p',
  window: 'perMinute',
  key: `u${n}`,
  start: 0,
  end: 60_000,
  values: { events: n },
});

describe('spill keys and bodies', () => {
  it('name one object per sink and invocation under undelivered/<sink>/<yyyy-mm-dd>/, oldest first', () => {
    const key = spillKey('sns', T, 'abc');
    expect(key).toBe('undelivered/sns/2026-06-01/20260601T235958123Z-abc.jsonl');
    expect(sinkOfSpillKey(key)).toBe('sns');
    expect(sinkOfSpillKey('undelivered/sns/x')).toBeUndefined();
    expect(sinkOfSpillKey('aggregates/dt=2026-06-01/x.jsonl')).toBeUndefined();
    expect(spillKey('sns', T) < spillKey('sns', T + 1)).toBe(true);
  });

  it('hold one message a line, read back as they were; a line that is not a message is a SpillFormatError', () => {
    const messages = [result(1), result(2)];
    expect(readSpillBody('k', spillBody(messages))).toEqual(messages);
    expect(() => readSpillBody('k', `${JSON.stringify(result(1))}\n{"kind":"other"}\n`)).toThrow(SpillFormatError);
    expect(() => readSpillBody('k', 'nope\n')).toThrow(/line 1: not JSON/);
  });
});

describe('FolderSpillStore', () => {
  it('puts, lists by prefix in key order, gets and deletes files under its root', async () => {
    const root = tempDir();
    const store = new FolderSpillStore(root);
    await store.put('undelivered/sns/2026-06-02/b.jsonl', 'two\n');
    await store.put('undelivered/sns/2026-06-01/a.jsonl', 'one\n');
    await store.put('undelivered/firehose/2026-06-01/c.jsonl', 'three\n');
    writeFileSync(join(root, 'undelivered', 'sns', '2026-06-01', 'x.jsonl.123.tmp'), 'half');
    expect(await store.list(UNDELIVERED_PREFIX)).toEqual([
      'undelivered/firehose/2026-06-01/c.jsonl',
      'undelivered/sns/2026-06-01/a.jsonl',
      'undelivered/sns/2026-06-02/b.jsonl',
    ]);
    expect(await store.list('undelivered/sns/')).toHaveLength(2);
    expect(await store.get('undelivered/sns/2026-06-01/a.jsonl')).toBe('one\n');
    await store.delete('undelivered/sns/2026-06-01/a.jsonl');
    expect(await store.get('undelivered/sns/2026-06-01/a.jsonl')).toBeUndefined();
    await store.delete('undelivered/sns/2026-06-01/a.jsonl');
    expect(await new FolderSpillStore(join(root, 'none')).list(UNDELIVERED_PREFIX)).toEqual([]);
    await expect(store.put('undelivered/../escape.jsonl', 'x')).rejects.toThrow(/'\.\.' path segment/);
  });
});

describe('S3SpillStore', () => {
  it('maps put/list/get/delete to PutObject, paginated ListObjectsV2, GetObject (NoSuchKey: undefined), DeleteObject', async () => {
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: 'undelivered/sns/2026-06-02/b.jsonl' }],
      IsTruncated: true,
      NextContinuationToken: 't2',
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: 't2' }).resolves({
      Contents: [{ Key: 'undelivered/sns/2026-06-01/a.jsonl' }],
      IsTruncated: false,
    });
    s3.on(GetObjectCommand, { Key: 'here' }).resolves({
      // The SDK's body stream reduced to the one method the store calls.
      Body: { transformToString: async () => 'line\n' } as never,
    });
    s3.on(GetObjectCommand, { Key: 'gone' }).rejects(new NoSuchKey({ message: 'gone', $metadata: {} }));
    const store = new S3SpillStore({ client: new S3Client({ region: 'us-east-1' }), bucket: 'lake' });
    await store.put('undelivered/sns/2026-06-01/a.jsonl', 'body\n');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake',
      Key: 'undelivered/sns/2026-06-01/a.jsonl',
      Body: 'body\n',
      ContentType: 'application/x-ndjson',
    });
    expect(await store.list(UNDELIVERED_PREFIX)).toEqual([
      'undelivered/sns/2026-06-01/a.jsonl',
      'undelivered/sns/2026-06-02/b.jsonl',
    ]);
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      'undelivered/',
      'undelivered/',
    ]);
    expect(await store.get('here')).toBe('line\n');
    expect(await store.get('gone')).toBeUndefined();
    await store.delete('here');
    expect(s3.commandCalls(DeleteObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'lake', Key: 'here' });
  });
});

/** A sink that refuses the ids in `refuse` (after "its retries"; `permanent`: for good) and records what it accepts. */
function pickySink(name: string, refuse: Set<string>, permanent = false) {
  const accepted: string[] = [];
  const sink: Sink = {
    name,
    kinds: ['alert', 'result'],
    async send(messages): Promise<SinkOutcome> {
      accepted.push(...messages.filter((m) => !refuse.has(m.id)).map((m) => m.id));
      return {
        failed: messages
          .filter((m) => refuse.has(m.id))
          .map((m) => ({ id: m.id, error: new Error(permanent ? 'too large' : 'down'), permanent })),
        retries: 0,
        requests: 1,
      };
    },
  };
  return { sink, accepted };
}

describe('redeliverSpilled', () => {
  it('deletes objects fully accepted, rewrites an object with what is still refused, and stops that sink there', async () => {
    const store = new FolderSpillStore(tempDir());
    const first = spillKey('a', T, '1');
    const second = spillKey('a', T + 1, '2');
    await store.put(first, spillBody([result(1), result(2)]));
    await store.put(second, spillBody([result(3)]));
    await store.put(spillKey('b', T, '3'), spillBody([result(4)]));
    const a = pickySink('a', new Set(['r2']));
    const b = pickySink('b', new Set());
    const run = await redeliverSpilled({ sinks: [a.sink, b.sink], spill: store, markers: undefined });
    expect(run).toMatchObject({ objects: 3, completed: 1, remaining: 2, failed: 1, delivered: { a: 1, b: 1 } });
    expect(a.accepted).toEqual(['r1']); // the second object of sink a waits: a still refuses
    expect(b.accepted).toEqual(['r4']);
    expect(await store.list(UNDELIVERED_PREFIX)).toEqual([first, second]);
    expect(readSpillBody(first, (await store.get(first))!)).toEqual([result(2)]);
  });

  it('keeps a message the sink will never take (too large) for an operator, without holding the next objects back', async () => {
    const store = new FolderSpillStore(tempDir());
    const poison = spillKey('a', T, '1');
    await store.put(poison, spillBody([result(1)]));
    await store.put(spillKey('a', T + 1, '2'), spillBody([result(2)]));
    const a = pickySink('a', new Set(['r1']), true);
    const run = await redeliverSpilled({ sinks: [a.sink], spill: store, markers: undefined });
    expect(run).toMatchObject({ objects: 2, completed: 1, remaining: 1, failed: 1 });
    expect(a.accepted).toEqual(['r2']);
    expect(await store.list(UNDELIVERED_PREFIX)).toEqual([poison]);
  });

  it('keeps objects of sinks not configured and unreadable objects, without blocking the next ones', async () => {
    const store = new FolderSpillStore(tempDir());
    const bad = spillKey('a', T, '0');
    await store.put(bad, 'not json\n');
    await store.put(spillKey('a', T + 1, '1'), spillBody([result(1)]));
    await store.put(spillKey('gone', T, '2'), spillBody([result(2)]));
    const a = pickySink('a', new Set());
    const run = await redeliverSpilled({ sinks: [a.sink], spill: store, markers: undefined });
    expect(run).toMatchObject({ objects: 3, completed: 1, remaining: 2, unknownSinks: ['gone'] });
    expect(a.accepted).toEqual(['r1']);
    expect((await store.list(UNDELIVERED_PREFIX)).sort()).toEqual([bad, spillKey('gone', T, '2')].sort());
  });
});

describe('createSpillRedelivery (what the closer runs on its schedule)', () => {
  const logger = { info: () => {}, warn: () => {}, error: () => {} };

  it('does nothing without a spill store', async () => {
    const run = createSpillRedelivery({ name: 'p' }, logger, { spill: false, dedupeTable: 'd', sinks: [] });
    expect(await run()).toBeUndefined();
  });

  it('re-delivers, reports its metrics and the requests it made, and never rejects', async () => {
    const store = new FolderSpillStore(tempDir());
    await store.put(spillKey('a', T, '1'), spillBody([result(1), result(2)]));
    const a = pickySink('a', new Set());
    const metrics: [string, number][] = [];
    const run = createSpillRedelivery({ name: 'p' }, logger, {
      spill: store,
      dedupeTable: 'd',
      sinks: [a.sink],
      dynamodb: { send: async () => Promise.reject(new Error('results need no markers')) },
      metrics: { addMetric: (name: string, _unit: unknown, value: number) => metrics.push([name, value]) } as never,
    });
    const out = await run();
    expect(out).toMatchObject({ completed: 1, delivered: { a: 2 }, usage: { spill: { list: 1, get: 1, delete: 1 } } });
    expect(out!.usage.markers.requests).toBe(0);
    expect(metrics).toEqual([
      ['MessagesRedelivered', 2],
      ['SpillObjectsWaiting', 0],
    ]);
    expect(a.accepted).toEqual(['r1', 'r2']);
    const failing = createSpillRedelivery({ name: 'p' }, logger, {
      spill: { ...store, list: () => Promise.reject(new Error('S3 down')) } as never,
      dedupeTable: 'd',
      sinks: [a.sink],
    });
    expect(await failing()).toBeUndefined();
  });
});
