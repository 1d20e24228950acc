import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Bytes } from '../../../core';

/** base64Bytes, with the bytes read back as text. */
const decodeBase64 = (data: string) => {
  const result = base64Bytes(data);
  return result.ok ? { ok: true as const, text: Buffer.from(result.bytes).toString('utf8') } : result;
};

/** What decodeBase64 accepted before it checked lengths instead: standard alphabet, padded to a multiple of 4. */
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const reason = (data: string) => {
  const result = decodeBase64(data);
  return result.ok ? 'ok' : result.reason.split(':')[0];
};

describe('decodeBase64 validity', () => {
  it('accepts standard padded base64 of every length and decodes it', () => {
    for (const text of ['{}', '{"a":1}', '{"ab":12}', '{"abc":123}', 'é€𝄞']) {
      expect(decodeBase64(b64(text))).toEqual({ ok: true, text });
    }
  });

  it.each([
    ['a character outside the alphabet', 'e30*'],
    ['a character outside the alphabet, replacing one', `${b64('{"a":1}').slice(0, 3)}!${b64('{"a":1}').slice(4)}`],
    ['a non-ASCII character', 'e3é9'],
    ['a space inside', 'e3 0'],
    ['a space in place of a character', 'ey A='],
    ['a trailing newline', `${b64('{}')}\n`],
    ['line breaks every 4 characters', 'eyJh\nIjox\nfQ=='],
    ['missing padding', 'eyJhIjoxfQ'],
    ['one = too few', 'eyJhIjoxfQ='],
    ['padding inside the data', 'eyJh=joxfQ=='],
    ['padding then more data', 'e30=e30='],
    ['three = at the end', 'eyJhIjoxf==='],
    ['only padding', '===='],
    ['the URL-safe alphabet (-)', 'e-0='],
    ['the URL-safe alphabet (_)', 'e_0='],
    ['the URL-safe alphabet (both)', '-_-_'],
  ])('rejects %s as invalid-base64', (_what, data) => {
    expect(STANDARD_BASE64.test(data)).toBe(false);
    expect(reason(data)).toBe('invalid-base64');
  });

  it('accepts exactly what the standard base64 expression accepts', () => {
    const alphabet = fc.constantFrom(...'AQgw+/=e3_-0 \n*é'.split(''));
    const mutated = fc.tuple(fc.string({ maxLength: 40 }), fc.nat(), alphabet).map(([text, at, c]) => {
      const data = b64(text);
      const i = data.length === 0 ? 0 : at % data.length;
      return data.slice(0, i) + c + data.slice(i + 1);
    });
    const strings = fc.oneof(
      fc.string({ unit: alphabet, minLength: 1, maxLength: 16 }),
      fc.string({ minLength: 1, maxLength: 40 }).map(b64),
      mutated.filter((data) => data.length > 0),
    );
    fc.assert(
      fc.property(strings, (data) => {
        const ok = STANDARD_BASE64.test(data);
        const r = reason(data);
        // Valid base64 may still be invalid UTF-8; invalid base64 is always reported as such.
        if (ok) expect(r).not.toBe('invalid-base64');
        else expect(r).toBe('invalid-base64');
      }),
      { numRuns: 3000 },
    );
  });
});
