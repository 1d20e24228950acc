// A result's `partial` (README "Changing a pipeline") travels from the state write to every sink: the emitter's
// result message, the warehouse row and the local `results` view, the persisted result item.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import { fromResultItem, toResultItem } from '../../../lambdas/emitter/result-items';
import { stateWriteOf } from '../../../lambdas/emitter/stream-records';
import { warehouseRow } from '../../../lambdas/sinks/index';
import { LocalResultsSink, queryWarehouse } from '../../../local/warehouse/index';
import { clickstream } from '../../../pipelines/clickstream';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-partial-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.parse('2026-03-04T10:00:00.000Z');
const ID_KEY = new Uint8Array(32).fill(3);
const results = [
  {
    window: 'perMinute',
    key: 'u1',
    start: T0,
    end: T0 + 60_000,
    values: { events: 4, biggest: 7 },
    partial: ['biggest'],
  },
  { window: 'perMinute', key: 'u1', start: T0 + 60_000, end: T0 + 120_000, values: { events: 2, biggest: 5 } },
];

/** A DynamoDB stream record of a state write carrying `results` (as the processor writes it). */
const record: DynamoDBRecord = {
  eventName: 'MODIFY',
  dynamodb: {
    SequenceNumber: '100',
    NewImage: {
      pk: { S: 'u1' },
      sk: { S: 'state' },
      s: { S: JSON.stringify({ k: { m: T0 + 200_000, s: {}, l: 'abcdefgh' }, r: results }) },
    },
  },
};

describe('partial results', () => {
  const messages = stateWriteOf(clickstream, ID_KEY, record)!.results;

  it('the emitter carries partial beside the values (absent when every value is complete)', () => {
    expect(messages.map((m) => [m.values, m.partial])).toEqual([
      [{ events: 4, biggest: 7 }, ['biggest']],
      [{ events: 2, biggest: 5 }, undefined],
    ]);
    expect('partial' in messages[1]!).toBe(false);
  });

  it('the warehouse row has a partial column, and the local results view reads it', async () => {
    expect(warehouseRow(messages[0]!)).toMatchObject({ values: { events: 4, biggest: 7 }, partial: ['biggest'] });
    expect(warehouseRow(messages[1]!)).not.toHaveProperty('partial');
    const sink = new LocalResultsSink({ dir, deliveryStreamName: 'clickstream-aggregates', now: () => T0 });
    await sink.send(messages);
    await sink.flush();
    const out = await queryWarehouse(dir, 'SELECT window_start, partial FROM results ORDER BY window_start');
    expect(out.rows).toEqual([
      { window_start: String(T0), partial: ['biggest'] },
      { window_start: String(T0 + 60_000), partial: null },
    ]);
  });

  it('the persisted result item keeps it (what streamfold state shows)', () => {
    expect(fromResultItem(toResultItem(messages[0]!, 1))).toMatchObject({ partial: ['biggest'] });
    expect(fromResultItem(toResultItem(messages[1]!, 1))).not.toHaveProperty('partial');
  });
});
