import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  count,
  type Decoded,
  decodeBase64Record,
  decodeText,
  definePipeline,
  MAX_DEPTH,
  MAX_RECORD_BYTES,
  replay,
  tumbling,
} from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const click = (over: Record<string, unknown> = {}) => ({
  eventId: 'e1',
  userId: 'u1',
  type: 'click',
  ts: '2026-11-21T10:00:00.000Z',
  ...over,
});

/** A pipeline that leaves time and key to the engine's own checks (the schema accepts anything for them). */
const loose = definePipeline({
  name: 'loose',
  schema: z.object({ k: z.unknown(), t: z.unknown(), id: z.unknown().optional() }),
  key: 'k',
  id: (e) => (e.id === undefined ? 'x' : (e.id as string)),
  time: 't',
  windows: { w: tumbling('1m') },
  aggregates: { n: count() },
});

function expectRejected(result: Decoded, code: string) {
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.reason.startsWith(`${code}: `), result.reason).toBe(true);
    expect(result.reason.length).toBeGreaterThan(code.length + 2);
  }
}

const protoNames = Object.getOwnPropertyNames(Object.prototype).sort();

function expectPrototypeUntouched() {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(protoNames);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
}

describe('decoding rejects bad records with a reason and never throws', () => {
  beforeAll(() => expectPrototypeUntouched());
  afterAll(() => expectPrototypeUntouched());

  it('decodes a valid clickstream record from base64 and from text', () => {
    const text = JSON.stringify(click());
    const decoded = decodeBase64Record(clickstream, b64(text));
    expect(decoded).toEqual({ ok: true, event: click(), key: 'u1', time: Date.UTC(2026, 10, 21, 10), id: 'e1' });
    expect(decodeText(clickstream, text)).toEqual(decoded);
  });

  it('rejects invalid base64', () => {
    for (const data of ['!!!!', 'abc', 'YWJj=', 'Y W J j', '-_-_', `${b64('{}')}\n`]) {
      expectRejected(decodeBase64Record(clickstream, data), 'invalid-base64');
    }
  });

  it('rejects invalid UTF-8', () => {
    for (const bytes of [[0xff], [0xc3, 0x28], [0x7b, 0xed, 0xa0, 0x80, 0x7d], [0xe2, 0x82]]) {
      expectRejected(decodeBase64Record(clickstream, Buffer.from(bytes).toString('base64')), 'invalid-utf8');
    }
  });

  it('rejects empty records', () => {
    for (const data of ['', null, undefined]) expectRejected(decodeBase64Record(clickstream, data), 'empty');
    for (const text of ['', '   ', '\n']) expectRejected(decodeText(clickstream, text), 'empty');
  });

  it('rejects JSON that is not an object, and text that is not JSON', () => {
    for (const text of ['[]', '[{"userId":"u1"}]', '42', '"x"', 'null', 'true']) {
      expectRejected(decodeText(clickstream, text), 'invalid-json');
    }
    for (const text of ['{', '{"a":}', "{'a':1}", '{"a":1}}', 'NaN', '{"a":1,}']) {
      expectRejected(decodeText(clickstream, text), 'invalid-json');
    }
  });

  it('rejects __proto__ keys at any depth, also when escaped; constructor and prototype are data', () => {
    const texts = [
      '{"__proto__":{"polluted":true},"eventId":"e1","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z"}',
      JSON.stringify(click({ properties: { a: [JSON.parse('{"__proto__":{"polluted":true}}')] } })),
      '{"\\u005f_proto__":{"isAdmin":true},"userId":"u1"}',
      '{"__pr\\u006fto__":{"isAdmin":true}}',
    ];
    for (const text of texts) {
      expectRejected(decodeText(clickstream, text), 'forbidden-key');
      expectRejected(decodeBase64Record(clickstream, b64(text)), 'forbidden-key');
    }
    for (const text of [
      JSON.stringify(click({ properties: { constructor: { prototype: { polluted: true } } } })),
      JSON.stringify(click({ properties: { a: [{ b: { prototype: 1 } }] } })),
      '{"eventId":"e1","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z","properties":{"\\u0063onstructor":{"prototype":{"polluted":1}}}}',
    ]) {
      expect(decodeText(clickstream, text).ok).toBe(true);
      expect(decodeBase64Record(clickstream, b64(text)).ok).toBe(true);
    }
    expectPrototypeUntouched();
  });

  it('rejects nesting deeper than MAX_DEPTH and accepts nesting at the limit', () => {
    const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
    const at = (depth: number) =>
      `{"eventId":"e1","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z","properties":${nested(depth)}}`;
    expectRejected(decodeText(clickstream, at(MAX_DEPTH + 5)), 'too-deep');
    expectRejected(decodeText(clickstream, `{"properties":${'['.repeat(100)}${']'.repeat(100)}}`), 'too-deep');
    expect(decodeText(clickstream, at(MAX_DEPTH - 2)).ok).toBe(true);
  });

  it('rejects deep nesting even when brackets inside strings hide it from the fast depth scan', () => {
    const hide = ']'.repeat(60);
    const deep = `${'['.repeat(50)}1${']'.repeat(50)}`;
    const text = `{"eventId":"e1","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z","page":"${hide}","properties":{"x":${deep}}}`;
    expectRejected(decodeText(clickstream, text), 'too-deep');
  });

  it('rejects huge records and huge fields without throwing', () => {
    const huge = JSON.stringify(click({ page: 'x'.repeat(MAX_RECORD_BYTES) }));
    expectRejected(decodeText(clickstream, huge), 'too-large');
    expectRejected(decodeBase64Record(clickstream, b64(huge)), 'too-large');
    expectRejected(decodeText(clickstream, JSON.stringify(click({ page: 'x'.repeat(5000) }))), 'schema');
    expectRejected(decodeText(loose, JSON.stringify({ k: 'a'.repeat(2000), t: 0 })), 'invalid-key');
    expectRejected(decodeText(loose, JSON.stringify({ k: 'a', t: 0, id: 'i'.repeat(2000) })), 'invalid-id');
    expectRejected(
      decodeText(loose, JSON.stringify({ k: 'a', t: `2026-01-01T00:00:00Z${' '.repeat(100)}` })),
      'invalid-time',
    );
  });

  it('rejects non-finite, unparsable, negative and far-future event times', () => {
    for (const t of ['1e400', '-1e400', '"yesterday"', '"2026-13-45T99:00:00Z"', 'null', 'true', '{}', '[]', '-1']) {
      expectRejected(decodeText(loose, `{"k":"a","t":${t}}`), 'invalid-time');
    }
    expectRejected(decodeText(loose, '{"k":"a"}'), 'schema'); // zod: an object key of z.unknown() must be present
    expectRejected(decodeText(loose, `{"k":"a","t":${Date.UTC(2300, 0, 1)}}`), 'invalid-time');
    expectRejected(decodeText(clickstream, JSON.stringify(click({ ts: '2300-01-01T00:00:00.000Z' }))), 'invalid-time');
    expectRejected(decodeText(clickstream, JSON.stringify(click({ ts: 'yesterday' }))), 'schema');
  });

  it('rejects an event time further ahead of the arrival time than maxFutureSkew (the smallest grace, 5m)', () => {
    const arrival = Date.UTC(2026, 10, 21, 10);
    const at = (ms: number) => JSON.stringify(click({ ts: new Date(arrival + ms).toISOString() }));
    expectRejected(decodeText(clickstream, at(300_001), arrival), 'future-time');
    expectRejected(decodeBase64Record(clickstream, b64(at(86_400_000)), arrival), 'future-time');
    expect(decodeText(clickstream, at(300_000), arrival).ok).toBe(true);
    expect(decodeText(clickstream, at(-86_400_000), arrival).ok).toBe(true);
    // Without an arrival time there is no future check at decode (the replay judges such lines against its arrivedBy bound).
    expect(decodeText(clickstream, at(86_400_000)).ok).toBe(true);
  });

  it('rejects schema errors with the field path', () => {
    const cases: [Record<string, unknown>, string][] = [
      [click({ type: 'hover' }), 'type'],
      [click({ userId: 5 }), 'userId'],
      [click({ eventId: '' }), 'eventId'],
      [click({ properties: [1, 2] }), 'properties'],
      [{ userId: 'u1', type: 'click', ts: '2026-11-21T10:00:00Z' }, 'eventId'],
    ];
    for (const [event, field] of cases) {
      const result = decodeText(clickstream, JSON.stringify(event));
      expectRejected(result, 'schema');
      if (!result.ok) expect(result.reason).toContain(field);
    }
  });

  it('rejects missing keys and ids, and turns throwing accessors into rejections', () => {
    expectRejected(decodeText(loose, '{"t":0}'), 'schema');
    expectRejected(decodeText(loose, '{"k":null,"t":0}'), 'invalid-key');
    expectRejected(decodeText(loose, '{"k":"","t":0}'), 'invalid-key');
    expectRejected(decodeText(loose, '{"k":{"a":1},"t":0}'), 'invalid-key');
    expectRejected(decodeText(loose, '{"k":"a","t":0,"id":""}'), 'invalid-id');
    const throwing = definePipeline({
      name: 'throwing',
      schema: z.object({ k: z.string() }),
      key: () => {
        throw new Error('boom');
      },
      time: () => 0,
      windows: { w: tumbling('1m') },
      aggregates: { n: count() },
    });
    expectRejected(decodeText(throwing, '{"k":"a"}'), 'invalid-event');
  });

  it('never throws on arbitrary text or bytes, and leaves Object.prototype alone', () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.json({ maxDepth: 6 }),
      fc
        .dictionary(fc.constantFrom('__proto__', 'constructor', 'eventId', 'userId', 'type', 'ts', 'x'), fc.jsonValue())
        .map((o) => JSON.stringify(o)),
      fc.jsonValue().map((v) => JSON.stringify(click({ properties: { v } }))),
    );
    fc.assert(
      fc.property(texts, fc.uint8Array({ maxLength: 64 }), (text, bytes) => {
        for (const result of [
          decodeText(clickstream, text),
          decodeText(loose, text),
          decodeBase64Record(clickstream, b64(text)),
          decodeBase64Record(clickstream, Buffer.from(bytes).toString('base64')),
        ]) {
          if (!result.ok) expect(result.reason).toMatch(/^[a-z0-9-]+: ./);
        }
      }),
      { numRuns: 500 },
    );
    expectPrototypeUntouched();
  });
});

describe('replay of malformed lines', () => {
  it('puts each bad line in rejected with its line number and reason, and keeps going', () => {
    const good = JSON.stringify(click());
    const bad = [
      '{',
      'not json',
      '[]',
      '42',
      'null',
      '""',
      '{}',
      JSON.stringify(click({ eventId: 7 })),
      JSON.stringify(click({ userId: null })),
      JSON.stringify(click({ type: 'hover' })),
      JSON.stringify(click({ ts: 'yesterday' })),
      JSON.stringify(click({ ts: '2300-01-01T00:00:00Z' })),
      JSON.stringify(click({ ts: 1_700_000_000_000 })),
      JSON.stringify({ userId: 'u1', type: 'click', ts: '2026-11-21T10:00:00Z' }),
      '{"__proto__":{"polluted":true},"eventId":"e9","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z"}',
      '{"\\u005f_proto__":{"polluted":true},"eventId":"e9","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z"}',
      JSON.stringify(click({ page: 'x'.repeat(MAX_RECORD_BYTES + 10) })),
      JSON.stringify(click({ properties: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) })),
      '{"eventId":"e1","userId":"u1","type":"click","ts":"2026-11-21T10:00:00Z",}',
      JSON.stringify(click({ eventId: 'e'.repeat(200) })),
      '\u0000',
    ];
    const lines = [good, ...bad, `${good}\r`];
    const out = replay(clickstream, lines);
    expect(out.rejected.map((r) => r.line)).toEqual(bad.map((_, i) => i + 2));
    for (const r of out.rejected) expect(r.reason).toMatch(/^[a-z0-9-]+: ./);
    expect(out.summary).toMatchObject({ lines: bad.length + 2, valid: 2, rejected: bad.length, duplicates: 1 });
    expect(out.results.find((r) => r.window === 'perMinute')?.values).toEqual({ events: 1 });
    expectPrototypeUntouched();
  });
});
