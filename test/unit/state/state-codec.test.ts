import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { STATE_DEFLATE_OPTIONS, toStateItem } from '../../../lambdas/state/codec';
import { COMPRESS_STATE_OVER, decodeStateAttribute, encodeStateAttribute } from '../../../lambdas/state/index';

describe('state attribute codec', () => {
  it('keeps short state as JSON text', () => {
    const json = JSON.stringify({ m: 1, s: { 1: [3] } });
    expect(encodeStateAttribute(json)).toEqual({ S: json });
    expect(decodeStateAttribute({ S: json })).toBe(json);
  });

  it('deflates long state to a smaller Binary value and reads it back (SDK bytes and Lambda base64)', () => {
    const slice = [80, { v: ['add_to_cart', 'click', 'login', 'purchase', 'search', 'view'], o: false }, 1767225598075];
    const json = JSON.stringify({ m: 1767225661933, s: Object.fromEntries([...Array(10)].map((_, i) => [i, slice])) });
    expect(json.length).toBeGreaterThan(COMPRESS_STATE_OVER);
    const attr = encodeStateAttribute(json);
    expect(attr.B).toBeInstanceOf(Uint8Array);
    expect(attr.B!.length).toBeLessThan(json.length / 3);
    expect(decodeStateAttribute(attr)).toBe(json);
    expect(decodeStateAttribute({ B: Buffer.from(attr.B!).toString('base64') })).toBe(json);
  });

  it('items deflated before the small-window options (zlib defaults) read back the same; state beyond the window too', () => {
    const slice = (i: number) => [i, { v: [`type-${i % 7}`, 'click'], o: false }, 1767225598075 + i * 1000];
    const json = JSON.stringify({
      m: 1767225661933,
      s: Object.fromEntries([...Array(400)].map((_, i) => [i, slice(i)])),
    });
    expect(json.length).toBeGreaterThan(2 ** STATE_DEFLATE_OPTIONS.windowBits);
    const older = { B: deflateRawSync(Buffer.from(json, 'utf8'), { level: 1 }) };
    expect(decodeStateAttribute(older)).toBe(json);
    const now = encodeStateAttribute(json);
    expect(decodeStateAttribute(now)).toBe(json);
    // The smaller window costs next to nothing in bytes (the write units are what count).
    expect(now.B!.length).toBeLessThan(older.B.length * 1.05);
  });

  it('a state item holds its key, version, applied map, time and state under the layout names', () => {
    const item = toStateItem(
      'user-1',
      {
        exists: true,
        stateJson: '{"k":{"m":1,"s":{}}}',
        applied: { abcdefgh: '42' },
        appliedAt: { abcdefgh: 7 },
        version: 3,
        ttl: 99,
        nextClose: 1000,
      },
      5,
    );
    expect(item).toEqual({
      pk: { S: 'user-1' },
      sk: { S: 'state' },
      ap: { S: 'abcdefgh:42:7' },
      v: { N: '3' },
      ut: { N: '5' },
      s: { S: '{"k":{"m":1,"s":{}}}' },
      ttl: { N: '99' },
      nc: { N: '1000' },
    });
  });

  it('reads nothing from an absent attribute', () => {
    expect(decodeStateAttribute(undefined)).toBeUndefined();
    expect(decodeStateAttribute({ N: '1' })).toBeUndefined();
  });
});
