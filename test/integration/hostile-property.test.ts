// Issue 11, "What must show": arbitrary bytes and arbitrary JSON values as record data never make a processor handler
// throw, return batchItemFailures or retry. Real handlers on DynamoDB Local; SQS is the stand-in that refuses what SQS
// refuses (no embedded SQS engine exists), so an unsafe body would show up as a sender fault.
import fc from 'fast-check';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Pipeline } from '../../core';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { CORPUS_ARRIVAL } from '../fixtures/bad-input';
import { loose } from '../fixtures/pipelines/loose';
import { type HandlerKind, hostileProcessor, REJECTED_URL, type TestRecord } from './hostile-helpers';

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const text = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
/** Record data: raw bytes, any JSON value, objects shaped like the pipelines' events with any values, any string. */
const data = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('base64')),
  fc.jsonValue({ maxDepth: 4 }).map((v) => text(JSON.stringify(v))),
  fc
    .record({
      id: fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, anyText, fc.jsonValue({ maxDepth: 1 })),
      user: fc.oneof(
        { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), weight: 3 },
        anyText,
        fc.jsonValue({ maxDepth: 1 }),
        fc.constantFrom('__proto__', 'constructor', '\ud800', '\uffff', '#checkpoints', '\u4e2d'.repeat(400)),
      ),
      at: fc.oneof(
        { arbitrary: fc.integer({ min: CORPUS_ARRIVAL - 20_000, max: CORPUS_ARRIVAL + 120_000 }), weight: 4 },
        fc.double(),
        anyText,
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
    })
    .map((e) => text(JSON.stringify(e))),
  fc
    .record({
      eventId: fc.oneof({ arbitrary: fc.uuid(), weight: 4 }, anyText, fc.jsonValue({ maxDepth: 1 })),
      userId: fc.oneof(
        { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), weight: 3 },
        anyText,
        fc.constantFrom('u\uffff', '\udfff', 'x'.repeat(2000)),
      ),
      type: fc.constantFrom('click', 'view', '\uffff'),
      ts: fc.oneof(
        {
          arbitrary: fc
            .integer({ min: CORPUS_ARRIVAL - 20_000, max: CORPUS_ARRIVAL + 120_000 })
            .map((t) => new Date(t).toISOString()),
          weight: 4,
        },
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
        anyText,
      ),
      properties: fc.option(fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }))),
    })
    .map((e) => text(JSON.stringify(e))),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constant(null),
);
const batch = fc.array(fc.record({ data, partitionKey: fc.string({ unit: 'binary', maxLength: 20 }) }), {
  minLength: 1,
  maxLength: 8,
});

/** A valid event of the pipeline with a fresh id (so that it is never a duplicate). */
const validEvent = (name: 'clickstream' | 'loose', n: number) =>
  name === 'clickstream'
    ? JSON.stringify({
        eventId: `v-${n}`,
        userId: 'u1',
        type: 'click',
        ts: new Date(CORPUS_ARRIVAL - 5000).toISOString(),
      })
    : JSON.stringify({ id: `v-${n}`, user: 'lu1', at: CORPUS_ARRIVAL - 5000 });

async function property(kind: HandlerKind, pipeline: Pipeline, name: 'clickstream' | 'loose', numRuns: number) {
  const p = await hostileProcessor(clients.dynamodb, pipeline, kind, { now: () => CORPUS_ARRIVAL + 60_000 });
  let next = 0;
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(batch, async (hostile) => {
      runs++;
      const records: TestRecord[] = [
        { data: text(validEvent(name, next)), partitionKey: 'v', arrivalMs: CORPUS_ARRIVAL },
        ...hostile.map((h) => ({ data: h.data, partitionKey: h.partitionKey || 'k', arrivalMs: CORPUS_ARRIVAL })),
        { data: text(validEvent(name, next + 1)), partitionKey: 'v', arrivalMs: CORPUS_ARRIVAL },
      ];
      const before = p.sqs.messages(REJECTED_URL).length;
      const failures = await p.invoke(records, next);
      next += records.length;
      expect(failures).toEqual([]);
      const summary = p.summaries.at(-1)!;
      expect(summary.applied).toBeGreaterThanOrEqual(2); // the valid batch-mates
      expect(summary).toMatchObject({ retries: 0, failures: [] });
      expect(summary.received).toBe(records.length);
      // Each record ends somewhere: rejected with a reason, or applied / duplicate / late.
      const rejected = p.sqs.messages(REJECTED_URL).slice(before);
      expect(rejected.length).toBe(summary.rejected);
      for (const m of rejected) expect(m.reason).toMatch(/^[a-z0-9-]+: ./);
      expect(summary.applied + summary.duplicates + summary.late + summary.rejected).toBe(records.length);
      expect(p.sqs.senderFaults).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }),
    { numRuns, seed: 11 },
  );
  expect(runs).toBe(numRuns);
  expect(p.invocations).toBe(numRuns);
  // Arbitrary data reached the state table too, not only the rejected output (the two valid events per batch aside).
  const applied = p.summaries.reduce((n, s) => n + s.applied, 0);
  expect(applied - 2 * numRuns).toBeGreaterThan(numRuns / 10);
}

describe('arbitrary record data never fails a batch', () => {
  it('Kinesis handler, permissive pipeline (keys, ids and times reach the engine checks): 200 batches', async () => {
    await property('kinesis', loose, 'loose', 200);
  });

  it('Kinesis handler, reference pipeline: 100 batches', async () => {
    await property('kinesis', clickstream, 'clickstream', 100);
  });

  it('MSK handler, permissive pipeline: 100 batches', async () => {
    await property('msk', loose, 'loose', 100);
  });
});
