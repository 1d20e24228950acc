/** TimestreamSink alone: database and table with the retention settings, and their checks. */
import { describe, expect, it } from 'vitest';
import { SettingError, TimestreamSink } from '../../lib';
import { bareStack, key, templateOf } from './construct-fixture';

describe('TimestreamSink', () => {
  it('creates a KMS-encrypted database and a table with the store retentions', () => {
    const stack = bareStack();
    const sink = new TimestreamSink(stack, 'Timestream', {
      databaseName: 'streamfold-orders',
      encryptionKey: key(stack),
    });
    const t = templateOf(stack);
    t.resourceCountIs('AWS::Timestream::Database', 1);
    t.hasResourceProperties('AWS::Timestream::Table', {
      TableName: 'window_results',
      RetentionProperties: { MemoryStoreRetentionPeriodInHours: '24', MagneticStoreRetentionPeriodInDays: '365' },
    });
    expect(sink.tableName).toBe('window_results');
  });

  it.each([
    [{ memoryStoreRetentionHours: 0 }, /memoryStoreRetentionHours: expected an integer from 1 to 8766, got 0/],
    [{ magneticStoreRetentionDays: 1.5 }, /magneticStoreRetentionDays: expected an integer from 1 to 73000, got 1.5/],
  ])('fails if %o', (props, message) => {
    // A fresh stack per attempt: a construct that refuses its props has already taken its id in the stack.
    const build = () => {
      const stack = bareStack();
      return new TimestreamSink(stack, 'T', { databaseName: 'db', encryptionKey: key(stack), ...props });
    };
    expect(build).toThrow(SettingError);
    expect(build).toThrow(message);
  });
});
