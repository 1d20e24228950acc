import type { AttributeValue } from '@aws-sdk/client-dynamodb';

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Numbers: about one byte per two significant digits, plus one (counted upward: all digits but leading zeros). */
const numberSize = (n: string) => Math.ceil(n.replace(/[^0-9]/g, '').replace(/^0+/, '').length / 2) + 1;

/** DynamoDB's size of one attribute value (per the documented item-size rules; numbers are approximated upward). */
export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((n, s) => n + utf8(s), 0);
  if (value.NS !== undefined) return value.NS.reduce((n, s) => n + numberSize(s), 0);
  if (value.BS !== undefined) return value.BS.reduce((n, b) => n + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((n, v) => n + 1 + attributeValueSize(v), 0);
  if (value.M !== undefined) {
    return 3 + Object.entries(value.M).reduce((n, [k, v]) => n + 1 + utf8(k) + attributeValueSize(v), 0);
  }
  return 0;
}

/** DynamoDB's size of an item: attribute names plus values. */
export function itemSize(item: Record<string, AttributeValue>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + attributeValueSize(value);
  return size;
}

/** Write units a standard write of an item this size costs (1 per started KB, at least 1). */
export function writeUnitsFor(sizeBytes: number): number {
  return Math.max(1, Math.ceil(sizeBytes / 1024));
}
