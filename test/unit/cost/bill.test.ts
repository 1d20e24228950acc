import { describe, expect, it } from 'vitest';
import { billLines, monthlyBill, provisionedShards, summarizeBill } from '../../../local/cost/bill';
import type { MeterLine } from '../../../local/cost/meter';
import { HOURS_PER_MONTH, PRICES, PRICES_AS_OF, priceOf } from '../../../local/cost/prices';

const line = (component: string, service: MeterLine['service'], counters: Record<string, number>, detail = 'x') => ({
  component,
  service,
  detail,
  counters,
});

describe('price table', () => {
  it('is dated and cites its source for every price', () => {
    expect(PRICES_AS_OF).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    for (const price of Object.values(PRICES)) expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });

  it('prices per unit of `per`', () => {
    expect(priceOf(PRICES.dynamodbWriteRequestUnit, 1e6)).toBeCloseTo(0.625, 10);
    expect(priceOf(PRICES.dynamodbReadRequestUnit, 2e6)).toBeCloseTo(0.25, 10);
    expect(priceOf(PRICES.s3Put, 1000)).toBeCloseTo(0.005, 10);
  });
});

describe('billLines and summarizeBill', () => {
  const lines: MeterLine[] = [
    line(
      'processor',
      'dynamodb',
      { writeUnits: 600, readUnits: 40, requests: 500, conditionalFailures: 3 },
      'state items',
    ),
    line('processor', 'dynamodb', { writeUnits: 10 }, 'checkpoints'),
    line('closer', 'dynamodb', { writeUnits: 100, readUnits: 200, requests: 300 }, 'state items'),
    line('processor', 'lambda', { invocations: 1, gbSeconds: 2 }),
    line('closer', 'lambda', { invocations: 5, gbSeconds: 1 }),
    line('producer', 'kinesis', { putPayloadUnits: 1000, ingestKb: 1000 }),
    line('emitter', 'dynamodb-streams', { getRecords: 7 }),
  ];

  it('sums every charge per million events, by component and service', () => {
    const events = 1000;
    const s = summarizeBill(lines, events, { scheduled: ['closer'] });
    const ddb = (w: number, r: number) => (w * 0.625 + r * 0.125) / 1e6;
    const lambda = (requests: number, gbs: number) => (requests * 0.2) / 1e6 + gbs * 0.0000133334;
    const kinesis = ((1000 * 1024) / 2 ** 30) * 0.08;
    const processor = ddb(610, 40) + lambda(1, 2);
    // The closer is scheduled: its requests are a monthly charge, not a per-event one.
    const closer = ddb(100, 200) + lambda(0, 1);
    expect(s.usd).toBeCloseTo(processor + closer + kinesis, 12);
    expect(s.usdPerMillionEvents).toBeCloseTo(((processor + closer + kinesis) * 1e6) / events, 9);
    expect(s.byComponent.processor).toBeCloseTo(processor * 1000, 9);
    expect(s.byComponent.closer).toBeCloseTo(closer * 1000, 9);
    expect(s.byService.dynamodb).toBeCloseTo(ddb(710, 240) * 1000, 9);
    expect(s.byComponent.emitter).toBe(0); // stream reads by a Lambda trigger are free
    expect(s.dynamodb.writeUnitsPer1k).toBe(710);
    expect(s.dynamodb.readUnitsPer1k).toBe(240);
    expect(s.dynamodb.byPart['processor: state items']).toEqual({
      writeUnitsPer1k: 600,
      readUnitsPer1k: 40,
      requestsPer1k: 500,
      conditionalFailuresPer1k: 3,
      usdPerMillionEvents: expect.closeTo(ddb(600, 40) * 1000, 9),
    });
    expect(s.dynamodb.byPart['closer: state items']?.conditionalFailuresPer1k).toBe(0);
    expect(s.dynamodb.conditionalFailuresPer1k).toBe(3);
  });

  it('bills Kinesis by PUT payload units when provisioned, by GB when on-demand', () => {
    const kinesis = [line('producer', 'kinesis', { putPayloadUnits: 1e6, ingestKb: 1e6 })];
    expect(billLines(kinesis, { kinesisMode: 'provisioned' })).toMatchObject([
      { charge: 'kinesisPutPayloadUnit', usd: expect.closeTo(0.014, 10) },
    ]);
    expect(billLines(kinesis)).toMatchObject([
      { charge: 'kinesisOnDemandIngestGb', usd: expect.closeTo(((1e6 * 1024) / 2 ** 30) * 0.08, 10) },
    ]);
  });

  it('returns zeros for a run without events instead of dividing by zero', () => {
    const s = summarizeBill(lines, 0);
    expect(s.usdPerMillionEvents).toBe(0);
    expect(s.dynamodb.writeUnitsPer1k).toBe(0);
  });
});

describe('monthlyBill', () => {
  it('adds the stream-hours and the closer schedule to the per-event charges', () => {
    const month = monthlyBill({ usdPerMillionEvents: 2 }, 1000, { recordBytes: 1024 });
    const events = 1000 * 3600 * HOURS_PER_MONTH;
    expect(month.perEventUsd).toBeCloseTo((events / 1e6) * 2, 6);
    const schedule = (60 * HOURS_PER_MONTH * (1 + 0.2)) / 1e6;
    expect(month.fixed.usd).toBeCloseTo(HOURS_PER_MONTH * 0.04 + schedule, 9);
    expect(month.usd).toBeCloseTo(month.perEventUsd + month.fixed.usd, 6);
  });

  it('sizes provisioned shards by bytes and by records per second', () => {
    expect(provisionedShards(2000, 1024)).toBe(2);
    expect(provisionedShards(50_000, 1024)).toBe(50); // records/s binds (49 by bytes)
    expect(provisionedShards(500, 25 * 1024)).toBe(13); // bytes bind
    expect(provisionedShards(1, 1)).toBe(1);
    const month = monthlyBill({ usdPerMillionEvents: 0 }, 2000, { recordBytes: 1024, kinesisMode: 'provisioned' });
    expect(month.fixed.items['kinesis shard-hours (2 shards)']).toBeCloseTo(2 * HOURS_PER_MONTH * 0.015, 9);
  });
});
