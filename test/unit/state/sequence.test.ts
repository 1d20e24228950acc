import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidSequenceError } from '../../../lambdas/state/errors';
import {
  canonicalSequence,
  compareSequence,
  maxSequence,
  padSequence,
  SEQUENCE_WIDTH,
} from '../../../lambdas/state/sequence';

const big129 = `4${'9'.repeat(128)}`;
const big129Plus1 = `5${'0'.repeat(128)}`;

describe('sequence numbers', () => {
  it("compares as numbers, not strings: '9' < '10'", () => {
    expect(compareSequence('9', '10')).toBeLessThan(0);
    expect(compareSequence('10', '9')).toBeGreaterThan(0);
    expect(compareSequence('10', '010')).toBe(0);
    expect(padSequence('9') < padSequence('10')).toBe(true);
  });

  it('handles 129-digit Kinesis sequence numbers', () => {
    expect(big129).toHaveLength(129);
    expect(compareSequence(big129, big129Plus1)).toBeLessThan(0);
    expect(compareSequence(big129Plus1, big129)).toBeGreaterThan(0);
    expect(padSequence(big129)).toHaveLength(SEQUENCE_WIDTH);
    expect(padSequence(big129) < padSequence(big129Plus1)).toBe(true);
    expect(maxSequence(big129, big129Plus1)).toBe(big129Plus1);
    expect(maxSequence(undefined, '7')).toBe('7');
  });

  it('accepts MSK offsets as numbers and bigints', () => {
    expect(canonicalSequence(42)).toBe('42');
    expect(canonicalSequence(0)).toBe('0');
    expect(canonicalSequence(12345678901234567890n)).toBe('12345678901234567890');
    expect(canonicalSequence('000')).toBe('0');
    expect(compareSequence(9, '10')).toBeLessThan(0);
  });

  it('rejects anything that is not a non-negative decimal integer of <= 130 digits', () => {
    for (const bad of ['', '-1', '1.5', '1e3', ' 1', 'abc', '1'.repeat(131), -1, 1.5, Number.NaN, -3n]) {
      expect(() => canonicalSequence(bad as never)).toThrow(InvalidSequenceError);
    }
    expect(() => padSequence('12a')).toThrow(/"12a"/);
  });

  it('padded string order equals numeric order (property)', () => {
    const seq = fc.bigInt({ min: 0n, max: 10n ** 129n - 1n });
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        const numeric = a < b ? -1 : a > b ? 1 : 0;
        const padded = padSequence(a) < padSequence(b) ? -1 : padSequence(a) > padSequence(b) ? 1 : 0;
        expect(padded).toBe(numeric);
        expect(Math.sign(compareSequence(a.toString(), b.toString()))).toBe(numeric);
      }),
    );
  });
});
