// The closer's reads do not grow with the table (issue 16: "a closer whose reads per run do not grow with the table").
// Two state tables on DynamoDB Local hold the same processed keys with windows due; one is filled to 1,000 items, the
// other to 100,000, with state items of other keys whose windows close a day later (listed in the due index under
// that later minute, as the processor lists them). The closer must read the same units from both and finalize the
// same windows. What a Scan would cost is put beside it, to show the counter would catch a closer that scans: metered
// on the small table, where it must match AWS's rule (the table's bytes in 4 KB units, halved for an eventually
// consistent read), and that rule applied to the large table's size (a metered Scan of 100,000 items takes DynamoDB
// Local 40 s: it pages by offset).
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CloserOutcome, runCloser } from '../../lambdas/closer/index';
import { DueIndex, type StateStore, stateKey } from '../../lambdas/state/index';
import { UsageMeter } from '../../lambdas/state/usage';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { emissionTables, processLines } from './emitter-helpers';
import { clickLines } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const USERS = 20;
const clicks = clickLines({ events: 240, users: USERS, seed: 23, lateShare: 0, duplicateShare: 0, malformed: 0 });
/** A key with one event: the filler items are copies of its state item (a key seen once, the common case). */
const SOLO = 'solo';
const lines = [...clicks, JSON.stringify({ ...JSON.parse(clicks.at(-1)!), eventId: 'solo-1', userId: SOLO })];
const KEYS = USERS + 1;
const DAY_MS = 86_400_000;
/** Keys listed per due item of the filler (the processor lists one item per batch and due minute). */
const FILLER_BATCH = 1000;

interface Prepared {
  readonly tableName: string;
  readonly store: StateStore;
  /** Items in the table and their bytes (DescribeTable: DynamoDB Local keeps them current). */
  readonly items: number;
  readonly bytes: number;
  readonly outcome: CloserOutcome;
}

/** What AWS bills for an eventually consistent Scan of `bytes` (4 KB read units, halved). */
const scanUnitsOf = (bytes: number) => Math.ceil(bytes / 4096) / 2;

type Item = Record<string, AttributeValue>;

/** Write `count` state items of other keys, cloned from a processed key's item, and list them due a day later. */
async function fill(tableName: string, template: Item, count: number, dueAt: number): Promise<void> {
  const limit = pLimit(16);
  const keys = Array.from({ length: count }, (_, i) => `filler-${i}`);
  const writes: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += 25) {
    const chunk = keys.slice(i, i + 25);
    writes.push(
      limit(() =>
        writeAll(
          tableName,
          chunk.map((key) => ({ ...template, ...stateKey(key) })),
        ),
      ),
    );
  }
  await Promise.all(writes);
  const due = new DueIndex({ client: clients.dynamodb, tableName, usage: new UsageMeter(), now: Date.now });
  for (let i = 0; i < keys.length; i += FILLER_BATCH) {
    const entries = keys.slice(i, i + FILLER_BATCH).map((key) => ({ key, version: 1, nextClose: dueAt }));
    await due.list(`filler#${i / FILLER_BATCH}`, entries);
  }
}

async function writeAll(tableName: string, items: Item[]): Promise<void> {
  let pending = items.map((Item) => ({ PutRequest: { Item } }));
  while (pending.length > 0) {
    const out = await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
    pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
  }
}

/** Scan the whole table, metering its read units (what a closer that scans would pay every run). */
async function meteredScan(tableName: string): Promise<number> {
  let readUnits = 0;
  let startKey: Item | undefined;
  do {
    const out = await clients.dynamodb.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        ExclusiveStartKey: startKey,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    readUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey);
  return readUnits;
}

async function tableSize(tableName: string): Promise<{ items: number; bytes: number }> {
  const out = await clients.dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
  return { items: out.Table?.ItemCount ?? 0, bytes: out.Table?.TableSizeBytes ?? 0 };
}

/** A table with the processed keys, filled to `size` items, and one closer run over it once traffic has stopped. */
async function prepare(label: string, size: number): Promise<Prepared> {
  const tables = await emissionTables(clients.dynamodb, label);
  const { store } = await processLines(clickstream, clients.dynamodb, tables, lines, { batchSize: 60 });
  const tableName = tables.stateTable;
  const checkpoints = await store.listCheckpoints();
  const lastUpdate = Math.max(...checkpoints.map((c) => c.updatedAt));
  const template = await clients.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: stateKey(SOLO) }));
  expect(template.Item).toBeDefined();
  const before = await tableSize(tableName);
  await fill(tableName, template.Item!, size - before.items, lastUpdate + DAY_MS);
  const { items, bytes } = await tableSize(tableName);
  const now = lastUpdate + 10 * 60_000; // sources idle: wall-clock time closes the processed keys' windows
  const outcome = await runCloser({
    pipeline: clickstream,
    client: clients.dynamodb,
    tableName,
    store,
    now: () => now,
  });
  return { tableName, store, items, bytes, outcome };
}

let small: Prepared;
let large: Prepared;

beforeAll(async () => {
  small = await prepare('closer-reads-1k', 1000);
  large = await prepare('closer-reads-100k', 100_000);
}, 600_000);
afterAll(() => clients.destroy());

describe('closer: reads per run do not grow with the table', () => {
  it('the two tables hold 1,000 and 100,000 items', () => {
    expect(small.items).toBeGreaterThanOrEqual(1000);
    expect(small.items).toBeLessThan(1200);
    expect(large.items).toBeGreaterThanOrEqual(100_000);
  });

  it('finalizes the same keys and windows in both', () => {
    expect(small.outcome.candidates).toBe(KEYS);
    expect(large.outcome).toMatchObject({
      candidates: small.outcome.candidates,
      closed: small.outcome.closed,
      windows: small.outcome.windows,
      failedKeys: [],
    });
    expect(small.outcome.closed).toBe(KEYS);
    expect(small.outcome.windows).toBeGreaterThan(KEYS);
  });

  it('reads the same units over 100,000 items as over 1,000', () => {
    expect(small.outcome.readUnits).toBeGreaterThan(0);
    // Equal item contents give equal units; one unit of slack for a due item that crosses a 4 KB boundary.
    expect(large.outcome.readUnits).toBeLessThanOrEqual(small.outcome.readUnits + 1);
    expect(large.outcome.writeUnits).toBeLessThanOrEqual(small.outcome.writeUnits + 1);
  });

  it('the counter would catch a closer that scans: a Scan of the large table costs 100x the closer run', async () => {
    const smallScan = await meteredScan(small.tableName);
    const { bytes } = await tableSize(small.tableName);
    // The meter agrees with AWS's rule on the small table (page boundaries may round a unit or two up).
    expect(smallScan).toBeGreaterThanOrEqual(scanUnitsOf(bytes));
    expect(smallScan).toBeLessThanOrEqual(scanUnitsOf(bytes) + 2);
    expect(smallScan).toBeGreaterThan(2 * small.outcome.readUnits);
    expect(scanUnitsOf(large.bytes)).toBeGreaterThan(90 * smallScan);
    expect(scanUnitsOf(large.bytes)).toBeGreaterThan(100 * large.outcome.readUnits);
  });

  it('a second run over the large table finds nothing due and reads only the due index', async () => {
    const again = await runCloser({
      pipeline: clickstream,
      client: clients.dynamodb,
      tableName: large.tableName,
      store: large.store,
      now: () => Date.now() + 20 * 60_000,
    });
    expect(again.candidates).toBe(0);
    expect(again.readUnits).toBeLessThan(small.outcome.readUnits);
  });
});
