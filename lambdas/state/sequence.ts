import { InvalidSequenceError } from './errors';

/** Width sequence numbers are left-padded to (Kinesis sequence numbers have up to 129 digits). */
export const SEQUENCE_WIDTH = 130;

/** A sequence number as delivered: Kinesis gives decimal strings, MSK gives integer offsets. */
export type SequenceInput = string | number | bigint;

const DIGITS = /^[0-9]+$/;

/** Validate and return the canonical decimal form (no leading zeros; '0' for zero). */
export function canonicalSequence(value: SequenceInput): string {
  let text: string;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'bigint') text = value >= 0n ? value.toString() : '';
  else text = Number.isSafeInteger(value) && value >= 0 ? String(value) : '';
  if (!DIGITS.test(text)) throw new InvalidSequenceError(value);
  const canonical = text.replace(/^0+/, '') || '0';
  if (canonical.length > SEQUENCE_WIDTH) throw new InvalidSequenceError(value);
  return canonical;
}

/** Left-pad to {@link SEQUENCE_WIDTH} digits so that string order equals numeric order (for DynamoDB conditions). */
export function padSequence(value: SequenceInput): string {
  return canonicalSequence(value).padStart(SEQUENCE_WIDTH, '0');
}

/** Compare two sequence numbers numerically: negative when a < b, 0 when equal, positive when a > b. */
export function compareSequence(a: SequenceInput, b: SequenceInput): number {
  const x = canonicalSequence(a);
  const y = canonicalSequence(b);
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The larger of two sequence numbers (canonical form); `undefined` counts as below everything. */
export function maxSequence(a: SequenceInput | undefined, b: SequenceInput): string {
  if (a === undefined) return canonicalSequence(b);
  return compareSequence(a, b) >= 0 ? canonicalSequence(a) : canonicalSequence(b);
}
