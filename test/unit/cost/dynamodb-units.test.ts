import { describe, expect, it } from 'vitest';
import {
  failedWriteUnits,
  itemReadUnits,
  queryReadUnits,
  transactionalReadUnits,
  transactionalWriteUnits,
  writeUnits,
} from '../../../local/cost/dynamodb-units';

describe('DynamoDB write units (one per started 1 KB)', () => {
  it('rounds each started KB up, at least 1', () => {
    expect(writeUnits(undefined, 1)).toBe(1);
    expect(writeUnits(undefined, 1024)).toBe(1);
    expect(writeUnits(undefined, 1025)).toBe(2);
    expect(writeUnits(undefined, 10 * 1024 + 1)).toBe(11);
    expect(writeUnits(undefined, undefined)).toBe(1);
  });

  it('bills the larger of the item before and after the write', () => {
    // Shrinking a 3,000-byte item to 100 bytes still costs the 3 KB it was.
    expect(writeUnits(3000, 100)).toBe(3);
    expect(writeUnits(100, 3000)).toBe(3);
    // A delete costs the size of the item it removes.
    expect(writeUnits(5000, undefined)).toBe(5);
  });

  it('charges a failed condition the existing item, at least 1', () => {
    expect(failedWriteUnits(2500)).toBe(3);
    expect(failedWriteUnits(undefined)).toBe(1);
  });

  it('doubles transactional writes', () => {
    expect(transactionalWriteUnits(undefined, 1500)).toBe(4);
    expect(transactionalWriteUnits(undefined, 1)).toBe(2);
    expect(transactionalWriteUnits(3000, 100)).toBe(6);
  });
});

describe('DynamoDB read units (one per started 4 KB, half when eventually consistent)', () => {
  it('rounds an item up to 4 KB, halves eventual reads', () => {
    expect(itemReadUnits(4096, true)).toBe(1);
    expect(itemReadUnits(4097, true)).toBe(2);
    expect(itemReadUnits(4097, false)).toBe(1);
    expect(itemReadUnits(100, false)).toBe(0.5);
    expect(itemReadUnits(12 * 1024 + 1, false)).toBe(2);
  });

  it('charges a key that does not exist the minimum (DynamoDB Local reports 0)', () => {
    expect(itemReadUnits(undefined, true)).toBe(1);
    expect(itemReadUnits(undefined, false)).toBe(0.5);
  });

  it('rounds a Query or Scan page once over the bytes of all items it read, not per item', () => {
    // Ten 500-byte items: 5,000 bytes, 2 units strongly consistent (ten item reads would be 10).
    expect(queryReadUnits(10 * 500, true)).toBe(2);
    expect(queryReadUnits(10 * 500, false)).toBe(1);
    expect(queryReadUnits(0, false)).toBe(0.5);
    expect(queryReadUnits(0, true)).toBe(1);
  });

  it('doubles transactional reads (always strongly consistent)', () => {
    expect(transactionalReadUnits(5000)).toBe(4);
    expect(transactionalReadUnits(undefined)).toBe(2);
  });
});
