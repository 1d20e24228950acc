import { describe, expect, it } from 'vitest';
import { ABSENT, fromStateItem, toStateItem } from '../../../lambdas/state/codec';
import { StoreCallFailedError } from '../../../lambdas/state/errors';
import { itemSize, writeUnitsFor } from '../../../lambdas/state/item-size';
import { LruCache } from '../../../lambdas/state/lru';
import { isConditionalCheckFailed, storeCall } from '../../../lambdas/state/retry';

const named = (name: string) => Object.assign(new Error(name), { name });

describe('state store parts', () => {
  it('LRU evicts the least recently used entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('computes item size from attribute names and values', () => {
    expect(itemSize({ pk: { S: 'abc' } })).toBe(2 + 3);
    expect(itemSize({ v: { N: '12345' } })).toBe(1 + 4);
    expect(itemSize({ m: { M: { x: { S: 'yy' } } } })).toBe(1 + 3 + 1 + 1 + 2);
    expect(itemSize({ s: { S: 'é' } })).toBe(1 + 2);
    expect(writeUnitsFor(1)).toBe(1);
    expect(writeUnitsFor(1024)).toBe(1);
    expect(writeUnitsFor(1025)).toBe(2);
  });

  it('round-trips a state record through its item', () => {
    const record = {
      exists: true,
      stateJson: '{"n":1}',
      applied: { 'shardId-0': '42' },
      appliedAt: { 'shardId-0': 28_333_333 },
      version: 3,
      ttl: 1_900_000_000,
    };
    const item = toStateItem('user-1', record, 1_700_000_000_000);
    expect(fromStateItem(item)).toEqual({ ...record, updatedAt: 1_700_000_000_000 });
    expect(fromStateItem(undefined)).toBe(ABSENT);
  });

  it('tells a conditional-check failure from every other error', () => {
    expect(isConditionalCheckFailed(named('ConditionalCheckFailedException'))).toBe(true);
    for (const other of ['ThrottlingException', 'ValidationException', 'TimeoutError', 'InternalServerError']) {
      expect(isConditionalCheckFailed(named(other))).toBe(false);
    }
    expect(isConditionalCheckFailed(undefined)).toBe(false);
  });

  it('storeCall sends once: a conditional failure is rethrown as is, any other becomes StoreCallFailedError', async () => {
    const conditional = named('ConditionalCheckFailedException');
    await expect(storeCall('PutItem', () => Promise.reject(conditional))).rejects.toBe(conditional);

    let calls = 0;
    const throttled = Object.assign(named('ThrottlingException'), { $metadata: { attempts: 3 } });
    const failure = await storeCall('BatchGetItem', () => {
      calls++;
      return Promise.reject(throttled);
    }).catch((error: unknown) => error);
    expect(calls).toBe(1);
    expect(failure).toBeInstanceOf(StoreCallFailedError);
    expect(failure).toMatchObject({ operation: 'BatchGetItem', attempts: 3, cause: throttled });
    expect(await storeCall('GetItem', () => Promise.resolve(42))).toBe(42);
  });
});
