// The closer's settings from its environment: a bad value fails at start naming the variable and the value (a NaN
// idle timeout made no source ever idle, so windows were never finalized when traffic stopped).
import { afterEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../core/contract';
import { createCloserHandler } from '../../../lambdas/closer/handler';
import { clickstream } from '../../../pipelines/clickstream';

const unused = { send: async () => Promise.reject(new Error('no DynamoDB in unit tests')) };

afterEach(() => {
  delete process.env[ENV.idleTimeoutMs];
  delete process.env[ENV.parallelizationFactor];
});

describe('closer settings', () => {
  it.each([
    ['idleTimeoutMs', 'sixty'],
    ['idleTimeoutMs', '-5'],
    ['idleTimeoutMs', '1.5'],
    ['parallelizationFactor', 'two'],
  ] as const)('%s = %j fails at start, naming the variable and the value', (setting, value) => {
    process.env[ENV[setting]] = value;
    expect(() => createCloserHandler(clickstream, { dynamodb: unused as never, stateTable: 't' })).toThrow(
      `${ENV[setting]}: expected a positive integer, got ${JSON.stringify(value)}`,
    );
  });

  it('unset or empty takes the default', () => {
    process.env[ENV.idleTimeoutMs] = '';
    expect(() => createCloserHandler(clickstream, { dynamodb: unused as never, stateTable: 't' })).not.toThrow();
  });
});
