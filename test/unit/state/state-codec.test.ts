import { describe, expect, it } from 'vitest';
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

  it('reads nothing from an absent attribute', () => {
    expect(decodeStateAttribute(undefined)).toBeUndefined();
    expect(decodeStateAttribute({ N: '1' })).toBeUndefined();
  });
});
