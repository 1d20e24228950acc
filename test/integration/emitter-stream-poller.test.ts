import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { EMITTER_MAPPING_DEFAULTS } from '../../core/function-defaults';
import { ensureTable } from '../../lambdas/state/index';
import { stateTableInput } from '../../lambdas/state/tables';
import { LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../local/aws-clients';
import type { DynamoDbStreamFailureRecord } from '../../local/runtime/stream-failure';
import { EMITTER_MAPPING, StreamPoller, type StreamPollerOptions } from '../../local/runtime/stream-poller';

// The emitter's stream poller against DynamoDB Local's real stream, with an injected handler that fails: retries are
// bounded (as the deployed mapping's), a function error bisects the batch down to the poison record, and what is
// given up on goes to the failure output as the metadata Lambda sends to the on-failure destination; the shard then
// moves on to later records.
const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const streams = new DynamoDBStreamsClient({
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  endpoint: endpoints.dynamodb,
});
afterAll(() => {
  clients.destroy();
  streams.destroy();
});

/** A fresh state table with a stream and `keys` written to it, in order; resolves with its stream ARN. */
async function tableWith(keys: string[]): Promise<{ table: string; streamArn: string }> {
  const table = `poller-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  await ensureTable(clients.dynamodb, stateTableInput(table));
  for (const key of keys) await put(table, key);
  const described = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const streamArn = described.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${table} has no stream`);
  return { table, streamArn };
}

async function put(table: string, key: string): Promise<void> {
  await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key }, sk: { S: 'state' } } }));
}

const keyOf = (r: DynamoDBStreamEvent['Records'][number]) => r.dynamodb?.Keys?.pk?.S ?? '';

/** A poller with no retry delay and 2 retries, recording what it delivered and what it gave up on. */
function pollerOf(streamArn: string, invoke: StreamPollerOptions['invoke']) {
  const failures: DynamoDbStreamFailureRecord[] = [];
  const lines: string[] = [];
  const poller = new StreamPoller({
    streams,
    streamArn,
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:test-emitter',
    invoke,
    onFailure: async (record) => {
      failures.push(record);
    },
    mapping: { maximumRetryAttempts: 2 },
    pollIntervalMs: 50,
    retryDelayMs: () => 0,
    warn: () => {},
    log: (line) => lines.push(line),
  });
  return { poller, failures, lines };
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the poller');
    await sleep(50);
  }
}

describe('the emitter stream poller on DynamoDB Local', () => {
  it('follows the deployed mapping by default: 10 retries, 24 h record age, bisect, batch item failures', () => {
    expect(EMITTER_MAPPING).toEqual({
      batchSize: EMITTER_MAPPING_DEFAULTS.batchSize,
      maximumRetryAttempts: 10,
      maximumRecordAgeInSeconds: 24 * 3600,
      bisectBatchOnFunctionError: true,
      reportBatchItemFailures: true,
    });
  });

  it('bisects a throwing batch down to the poison record, gives up on it after the retries, and moves on', async () => {
    const { table, streamArn } = await tableWith(['k0', 'k1', 'k2', 'k3', 'k4']);
    const delivered: string[] = [];
    let poisonCalls = 0;
    const { poller, failures, lines } = pollerOf(streamArn, async (event) => {
      if (event.Records.some((r) => keyOf(r) === 'k2')) {
        poisonCalls++;
        throw new Error('injected: k2 cannot be handled');
      }
      delivered.push(...event.Records.map(keyOf));
      return { batchItemFailures: [] };
    });
    poller.start();
    try {
      await until(() => failures.length === 1 && delivered.includes('k4'));
      await put(table, 'k5'); // the shard moved past the poison record: a later write is handed over
      await until(() => delivered.includes('k5'));
    } finally {
      await poller.stop();
    }
    expect([...new Set(delivered)].sort()).toEqual(['k0', 'k1', 'k3', 'k4', 'k5']);
    const [failure] = failures;
    expect(failure?.requestContext.condition).toBe('RetryAttemptsExhausted');
    expect(failure?.requestContext.approximateInvokeCount).toBeGreaterThanOrEqual(3);
    expect(failure?.responseContext.functionError).toBe('Unhandled');
    expect(failure?.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, streamArn });
    expect(failure?.DDBStreamBatchInfo.startSequenceNumber).toBe(failure?.DDBStreamBatchInfo.endSequenceNumber);
    // The single poison record was invoked once and retried twice; bisecting consumed no retry.
    expect(poller.counters).toMatchObject({ retries: 2, discarded: 1, failureRecords: 1 });
    expect(poller.counters.bisects).toBeGreaterThan(0);
    expect(poisonCalls).toBe(poller.counters.bisects + 3);
    expect(lines.some((l) => l.includes('RetryAttemptsExhausted'))).toBe(true);
  });

  it('retries a partial failure from the reported record, then gives up on that record and the rest', async () => {
    const { streamArn } = await tableWith(['p0', 'p1', 'p2', 'p3']);
    const seen: string[][] = [];
    const { poller, failures } = pollerOf(streamArn, async (event) => {
      seen.push(event.Records.map(keyOf));
      const poison = event.Records.find((r) => keyOf(r) === 'p2');
      return { batchItemFailures: poison ? [{ itemIdentifier: poison.dynamodb?.SequenceNumber }] : [] };
    });
    poller.start();
    try {
      await until(() => failures.length === 1);
    } finally {
      await poller.stop();
    }
    // One invocation of the whole batch, two retries from p2; no bisect (the function did not throw).
    expect(seen).toEqual([
      ['p0', 'p1', 'p2', 'p3'],
      ['p2', 'p3'],
      ['p2', 'p3'],
    ]);
    expect(failures[0]?.DDBStreamBatchInfo.batchSize).toBe(2);
    expect(failures[0]?.requestContext.approximateInvokeCount).toBe(3);
    expect(failures[0]?.responseContext.functionError).toBeUndefined();
    expect(poller.counters).toMatchObject({ invocations: 3, failures: 3, retries: 2, bisects: 0, discarded: 2 });
  });
});
