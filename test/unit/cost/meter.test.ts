import { describe, expect, it } from 'vitest';
import { CostMeter } from '../../../local/cost/meter';

const counters = (meter: CostMeter, service: string) => meter.lines().find((l) => l.service === service)?.counters;

describe('CostMeter', () => {
  it('rounds Kinesis records: 25 KB PUT payload units, 1 KB on-demand ingest', () => {
    const meter = new CostMeter();
    meter.kinesisPut('producer', 's', [1, 1024, 1025, 25 * 1024, 25 * 1024 + 1]);
    expect(counters(meter, 'kinesis')).toEqual({
      records: 5,
      bytes: 1 + 1024 + 1025 + 25 * 1024 + 25 * 1024 + 1,
      putPayloadUnits: 1 + 1 + 1 + 1 + 2,
      ingestKb: 1 + 1 + 2 + 25 + 26,
      requests: 1,
    });
  });

  it('bills Firehose records in 5 KB increments', () => {
    const meter = new CostMeter();
    meter.firehosePut('emitter', 'results', [100, 5 * 1024, 5 * 1024 + 1]);
    expect(counters(meter, 'firehose')).toMatchObject({ records: 3, billedKb: 5 + 5 + 10, requests: 1 });
  });

  it('bills an SQS or SNS call per started 64 KB of its payload', () => {
    const meter = new CostMeter();
    meter.sqsCall('processor', 'late', Array(10).fill(10 * 1024)); // 100 KB: 2 requests
    meter.sqsCall('processor', 'late', [100]); // 1 request
    expect(counters(meter, 'sqs')).toEqual({ calls: 2, messages: 11, requests: 3 });
    meter.snsCall('emitter', 'alerts', [64 * 1024]);
    expect(counters(meter, 'sns')).toEqual({ calls: 1, messages: 1, requests: 1 });
  });

  it('bills Lambda duration rounded up to the next ms at the memory size', () => {
    const meter = new CostMeter();
    meter.invocation('processor', 1024, 0.2);
    meter.invocation('processor', 1024, 1000.4);
    expect(counters(meter, 'lambda')).toEqual({ invocations: 2, durationMs: 1 + 1001, gbSeconds: 0.001 + 1.001 });
    meter.invocation('emitter', 512, 10);
    expect(meter.lines().find((l) => l.component === 'emitter')?.counters.gbSeconds).toBeCloseTo(0.005, 12);
  });

  it('keeps one line per component, service and detail, and forgets everything on reset', () => {
    const meter = new CostMeter();
    meter.add('processor', 'dynamodb', 'state', { writeUnits: 2 });
    meter.add('processor', 'dynamodb', 'state', { writeUnits: 3, readUnits: 0 });
    meter.add('closer', 'dynamodb', 'state', { writeUnits: 1 });
    expect(meter.lines()).toEqual([
      { component: 'processor', service: 'dynamodb', detail: 'state', counters: { writeUnits: 5 } },
      { component: 'closer', service: 'dynamodb', detail: 'state', counters: { writeUnits: 1 } },
    ]);
    meter.reset();
    expect(meter.lines()).toEqual([]);
  });
});
