// Issue 11 (hostile producers): the decode-level rules, one test per hole. Each ran red before its fix.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  count,
  type Decoded,
  decodeBase64Record,
  decodeRecord,
  decodeText,
  definePipeline,
  MAX_ID_BYTES,
  MAX_KEY_BYTES,
  parseIsoTime,
  replay,
  tumbling,
} from '../../../core';
import { clickstream } from '../../../pipelines/clickstream';

/** Key, id and time left to the engine's own checks: the schema accepts anything for them. */
const loose = definePipeline({
  name: 'loose',
  schema: z.object({ k: z.unknown(), t: z.unknown(), id: z.unknown().optional() }),
  key: 'k',
  id: (e) => (e.id === undefined ? 'x' : (e.id as string)),
  time: 't',
  windows: { w: tumbling('1m', { grace: '1m' }) },
  aggregates: { n: count() },
});

const T = Date.UTC(2026, 0, 1);
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const codeOf = (d: Decoded) => (d.ok ? 'applied' : d.reason.slice(0, d.reason.indexOf(':')));
/** The decision of every decode path for one text: text, bytes and base64. */
const decisions = (pipeline: typeof loose, text: string) => [
  codeOf(decodeText(pipeline, text)),
  codeOf(decodeRecord(pipeline, Buffer.from(text, 'utf8'))),
  codeOf(decodeBase64Record(pipeline, b64(text))),
];
const looseLine = (k: unknown, id: unknown = 'i1', t: unknown = T) => JSON.stringify({ k, t, id });

const CJK = '\u4e2d'; // 中: 3 UTF-8 bytes, 1 UTF-16 unit
const EMOJI = '\u{1F600}'; // 😀: 4 UTF-8 bytes, 2 UTF-16 units

describe('hole 2: key and id limits are counted in UTF-8 bytes', () => {
  it('exports the limits (DynamoDB allows 2,048 bytes for a partition key; keys and ids keep to 1,024)', () => {
    expect(MAX_KEY_BYTES).toBe(1024);
    expect(MAX_ID_BYTES).toBe(1024);
  });

  it('rejects 1,024 CJK characters (3,072 bytes) as a key, naming the byte count', () => {
    const d = decodeText(loose, looseLine(CJK.repeat(1024)));
    expect(codeOf(d)).toBe('invalid-key');
    if (!d.ok) expect(d.reason).toContain('3072');
  });

  it('takes keys of 1,023 and 1,024 bytes and rejects 1,025, on every path', () => {
    const k1023 = CJK.repeat(341);
    expect(Buffer.byteLength(k1023)).toBe(1023);
    expect(decisions(loose, looseLine(k1023))).toEqual(['applied', 'applied', 'applied']);
    expect(decisions(loose, looseLine(`${k1023}a`))).toEqual(['applied', 'applied', 'applied']);
    expect(decisions(loose, looseLine(`${k1023}ab`))).toEqual(['invalid-key', 'invalid-key', 'invalid-key']);
  });

  it('rejects 257 emoji (1,028 bytes, only 514 UTF-16 units) as a key, takes 256', () => {
    expect(codeOf(decodeText(loose, looseLine(EMOJI.repeat(256))))).toBe('applied');
    expect(codeOf(decodeText(loose, looseLine(EMOJI.repeat(257))))).toBe('invalid-key');
  });

  it('limits dedupe ids the same way', () => {
    expect(codeOf(decodeText(loose, looseLine('k', CJK.repeat(1024))))).toBe('invalid-id');
    expect(codeOf(decodeText(loose, looseLine('k', EMOJI.repeat(257))))).toBe('invalid-id');
    expect(codeOf(decodeText(loose, looseLine('k', `${CJK.repeat(341)}a`)))).toBe('applied');
    const d = decodeText(loose, looseLine('k', `${CJK.repeat(341)}ab`));
    expect(!d.ok && d.reason).toMatch(/^invalid-id: .*1025.*1024/);
  });
});

describe('hole 4: keys and ids must be well-formed Unicode', () => {
  it('rejects lone surrogates, high and low, alone, at the end and reversed', () => {
    for (const k of ['\ud800', '\udfff', 'victim\ud800', '\udc00victim', '\udc00\ud800']) {
      const d = decodeText(loose, looseLine(k));
      expect(codeOf(d), JSON.stringify(k)).toBe('invalid-key');
      expect(!d.ok && d.reason).toMatch(/lone surrogate/);
    }
    expect(codeOf(decodeText(loose, looseLine('k', '\ud800')))).toBe('invalid-id');
    expect(codeOf(decodeText(loose, looseLine('k', 'x\udfff')))).toBe('invalid-id');
  });

  it('also for the reference pipeline, whose schema lets any string through', () => {
    const event = { eventId: 'e1', userId: 'u\ud800', type: 'click', ts: '2026-01-01T00:00:00Z' };
    expect(codeOf(decodeText(clickstream, JSON.stringify(event)))).toBe('invalid-key');
    expect(codeOf(decodeText(clickstream, JSON.stringify({ ...event, userId: 'u', eventId: '\udfff' })))).toBe(
      'invalid-id',
    );
  });

  it('keeps "\\ud800", "\\udfff" and "?" apart: only "?" is a key', () => {
    expect(decodeText(loose, looseLine('?'))).toMatchObject({ ok: true, key: '?' });
    expect(codeOf(decodeText(loose, looseLine('\ud800')))).toBe('invalid-key');
    expect(codeOf(decodeText(loose, looseLine('\udfff')))).toBe('invalid-key');
    expect(decodeText(loose, looseLine(EMOJI))).toMatchObject({ ok: true, key: EMOJI });
  });

  it('rejects keys and ids holding characters SQS and XML refuse (C0 controls, U+FFFE, U+FFFF)', () => {
    for (const k of ['a\uffff', '\ufffe', 'a\u0000b', '\u001f']) {
      expect(codeOf(decodeText(loose, looseLine(k))), JSON.stringify(k)).toBe('invalid-key');
    }
    expect(codeOf(decodeText(loose, looseLine('k', 'i\uffff')))).toBe('invalid-id');
    expect(codeOf(decodeText(loose, looseLine('tab\there')))).toBe('applied');
  });

  it('rejects raw lone surrogates in the text itself (no UTF-8 form), as the byte path rejects their encoding', () => {
    const text = `{"k":"a","t":${T},"id":"x","junk":"\ud800"}`;
    expect(codeOf(decodeText(loose, text))).toBe('invalid-utf8');
    expect(codeOf(decodeRecord(loose, Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d])))).toBe('invalid-utf8');
  });
});

describe('hole 7: one decode path (text, bytes, base64)', () => {
  it('ignores one leading byte order mark on every record, not only on the first line of a file', () => {
    const text = looseLine('k');
    expect(decisions(loose, `\uFEFF${text}`)).toEqual(['applied', 'applied', 'applied']);
    expect(decisions(loose, `\uFEFF\uFEFF${text}`)).toEqual(['invalid-json', 'invalid-json', 'invalid-json']);
    expect(decisions(loose, '\uFEFF')).toEqual(['empty', 'empty', 'empty']);
    const out = replay(loose, [looseLine('a', 'i1'), `\uFEFF${looseLine('b', 'i2')}`]);
    expect(out.rejected).toEqual([]);
    expect(out.summary.applied).toBe(2);
  });

  it('measures the record limit in bytes on the text path too', () => {
    const text = JSON.stringify({ k: 'a', t: T, junk: '\u00e9'.repeat(600_000) }); // 1.2 MB, 0.6 M characters
    expect(decisions(loose, text)).toEqual(['too-large', 'too-large', 'too-large']);
  });

  it('takes a trailing carriage return (CRLF files) as JSON whitespace, the same on every path', () => {
    expect(decisions(loose, `${looseLine('k')}\r`)).toEqual(['applied', 'applied', 'applied']);
    expect(decisions(loose, '\r')).toEqual(['empty', 'empty', 'empty']);
  });

  it('names a record too large to hold by its size', () => {
    const d = decodeRecord(loose, { oversizedBytes: 2_000_000 });
    expect(!d.ok && d.reason).toBe('too-large: record of 2000000 bytes exceeds 1048576');
  });
});

describe('hole 8a: fields named constructor or prototype are data; only __proto__ is refused', () => {
  const event = { eventId: 'e1', userId: 'u1', type: 'click', ts: '2026-01-01T00:00:00Z' };

  it('accepts constructor and prototype keys at any depth', () => {
    for (const text of [
      JSON.stringify({ ...event, constructor: 'yes' }),
      JSON.stringify({ ...event, properties: { constructor: { prototype: { polluted: 1 } } } }),
      JSON.stringify({ ...event, properties: { a: [{ prototype: 1 }] } }),
      `{"\\u0063onstructor":1,"eventId":"e1","userId":"u1","type":"click","ts":"2026-01-01T00:00:00Z"}`,
      JSON.stringify({ ...event, properties: { toString: 1, hasOwnProperty: 2, valueOf: 3 } }),
    ]) {
      expect(decisions(clickstream as never, text), text).toEqual(['applied', 'applied', 'applied']);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('still refuses __proto__, also unicode-escaped', () => {
    for (const text of [
      `{"__proto__":{"polluted":1},"eventId":"e1","userId":"u1","type":"click","ts":"2026-01-01T00:00:00Z"}`,
      `{"\\u005f_proto__":{"polluted":1},"eventId":"e1","userId":"u1","type":"click","ts":"2026-01-01T00:00:00Z"}`,
      JSON.stringify({ ...event, properties: { a: [JSON.parse('{"__proto__":1}')] } }),
    ]) {
      expect(decisions(clickstream as never, text)).toEqual(['forbidden-key', 'forbidden-key', 'forbidden-key']);
    }
  });

  it('hands the schema null-prototype objects, which zod objects accept', () => {
    const d = decodeText(
      clickstream,
      JSON.stringify({ ...event, properties: { constructor: { prototype: { polluted: 1 } }, n: 1 } }),
    );
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const properties = (d.event as { properties: Record<string, any> }).properties;
    expect(Object.getPrototypeOf(properties)).toBeNull();
    expect(Object.getPrototypeOf(properties.constructor)).toBeNull();
    expect(properties.constructor.prototype).toEqual({ polluted: 1 });
    const nested = z.object({ a: z.object({ b: z.number() }), c: z.record(z.string(), z.number()) });
    const input = Object.assign(Object.create(null), {
      a: Object.assign(Object.create(null), { b: 1 }),
      c: Object.assign(Object.create(null), { x: 2 }),
    });
    expect(nested.safeParse(input)).toMatchObject({ success: true, data: { a: { b: 1 }, c: { x: 2 } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('no prototype is polluted', () => {
  it('after replay of __proto__ and constructor.prototype lines, on every path', () => {
    const lines = ['{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}'];
    const out = replay(clickstream, [...lines, ...lines.map((l) => Buffer.from(l))]);
    expect(out.rejected.map((r) => r.reason.slice(0, r.reason.indexOf(':')))).toEqual([
      'forbidden-key',
      'schema',
      'forbidden-key',
      'schema',
    ]);
    for (const l of lines) decodeBase64Record(loose, b64(l));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
  });
});

describe('one decode path: text, bytes and base64 decide alike (property)', () => {
  it('for any well-formed text, and any bytes', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 60 }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          k: fc.oneof(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 1 })),
          t: fc.oneof(fc.integer({ min: T - 1000, max: T + 1000 }), fc.string({ maxLength: 30 })),
          id: fc.string({ unit: 'grapheme', maxLength: 20 }),
        })
        .map((e) => JSON.stringify(e)),
      fc.string({ unit: 'grapheme', maxLength: 40 }).map((x) => `\uFEFF${x}`),
    );
    fc.assert(
      fc.property(texts, fc.uint8Array({ maxLength: 80 }), (text, bytes) => {
        const arrival = T;
        const viaText = decodeText(loose, text, arrival);
        expect(decodeRecord(loose, Buffer.from(text, 'utf8'), arrival)).toEqual(viaText);
        expect(decodeBase64Record(loose, b64(text), arrival)).toEqual(viaText);
        const viaBytes = decodeRecord(loose, bytes, arrival);
        expect(decodeBase64Record(loose, Buffer.from(bytes).toString('base64'), arrival)).toEqual(viaBytes);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('hole 8b: event times are epoch ms, Dates or strict ISO-8601', () => {
  it('parses dates and date-times with an optional fraction and a Z or an offset', () => {
    expect(parseIsoTime('2026-01-01')).toBe(T);
    expect(parseIsoTime('2026-01-01T00:00:30Z')).toBe(T + 30_000);
    expect(parseIsoTime('2026-01-01T00:00:30.5Z')).toBe(T + 30_500);
    expect(parseIsoTime('2026-01-01T00:00:30.123456789Z')).toBe(T + 30_123);
    expect(parseIsoTime('2026-01-01T02:00:30+02:00')).toBe(T + 30_000);
    expect(parseIsoTime('2025-12-31T23:30:00-00:30')).toBe(T);
    expect(parseIsoTime('2026-01-01T00:01Z')).toBe(T + 60_000);
    expect(parseIsoTime('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
  });

  it('rejects impossible dates and times, free-form text and local times', () => {
    for (const text of [
      '2026-02-30',
      '2025-02-29',
      '2026-04-31T00:00:00Z',
      '2026-13-01',
      '2026-00-10',
      '2026-01-01T25:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:60Z',
      '2026-01-01T00:00:00+24:00',
      '1',
      '12',
      '1767225600000',
      '2026-1-1',
      '2026-01-01T00:00:30',
      '2026-01-01 00:00:30Z',
      '2026-01-01t00:00:30z',
      '2026-01-01T00:00:30+0200',
      'Thu, 01 Jan 2026 00:00:00 GMT',
      '+002026-01-01T00:00:00Z',
      ' 2026-01-01',
      '',
    ]) {
      expect(parseIsoTime(text), JSON.stringify(text)).toBeNaN();
    }
  });

  it('rejects "2026-02-30" and "1" as event times with invalid-time, takes numbers and Dates', () => {
    expect(codeOf(decodeText(loose, looseLine('k', 'i', '2026-02-30')))).toBe('invalid-time');
    expect(codeOf(decodeText(loose, looseLine('k', 'i', '1')))).toBe('invalid-time');
    expect(codeOf(decodeText(loose, looseLine('k', 'i', '2026-01-01T00:00:30')))).toBe('invalid-time');
    expect(decodeText(loose, looseLine('k', 'i', '2026-01-01'))).toMatchObject({ ok: true, time: T });
    expect(decodeText(loose, looseLine('k', 'i', T + 1))).toMatchObject({ ok: true, time: T + 1 });
    const dated = definePipeline({
      name: 'dated',
      schema: z.object({ k: z.string(), t: z.number() }),
      key: 'k',
      time: (e) => new Date(e.t),
      windows: { w: tumbling('1m') },
      aggregates: { n: count() },
    });
    expect(decodeText(dated, JSON.stringify({ k: 'a', t: T }))).toMatchObject({ ok: true, time: T });
    expect(codeOf(decodeText(dated, JSON.stringify({ k: 'a', t: 1e300 })))).toBe('invalid-time');
  });
});
