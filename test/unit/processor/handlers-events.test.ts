import type { KinesisStreamEvent, MSKEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ENV, METRIC_DIMENSION, METRIC_NAMESPACE, METRICS } from '../../../core';
import { SettingError } from '../../../core/errors';
import {
  BatchFailedError,
  createKinesisHandler,
  createProcessorMetrics,
  kinesisBatches,
  kinesisResponse,
  MalformedEventError,
  mskBatches,
  mskResponse,
  readStoredValue,
  type SourceOutcome,
  StoredStateFormatError,
  toStoredValue,
} from '../../../lambdas/processor/index';
import { failOnNoProgress } from '../../../lambdas/processor/response';
import { emptyStats } from '../../../lambdas/processor/source-batch';
import { clickstream } from '../../../pipelines/clickstream';

const kinesisRecord = (shard: string, seq: string, arrival = 1700000000.5) => ({
  kinesis: {
    kinesisSchemaVersion: '1.0',
    partitionKey: 'u1',
    sequenceNumber: seq,
    data: 'e30=',
    approximateArrivalTimestamp: arrival,
  },
  eventSource: 'aws:kinesis',
  eventVersion: '1.0',
  eventID: `${shard}:${seq}`,
  eventName: 'aws:kinesis:record',
  invokeIdentityArn: 'arn',
  awsRegion: 'us-east-1',
  eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/s',
});

const outcome = (sourceId: string, failedSeq?: string, noProgress = false): SourceOutcome => ({
  sourceId,
  failedAt: failedSeq === undefined ? undefined : { sequence: failedSeq, data: '', arrivalMs: 0 },
  error: failedSeq === undefined ? undefined : new Error('throttled'),
  noProgress,
  stats: emptyStats(),
});

describe('Kinesis events', () => {
  it('groups records by the shard id of eventID, with arrival time in ms', () => {
    const event = {
      Records: [
        kinesisRecord('shardId-000000000001', '10'),
        kinesisRecord('shardId-000000000000', '5'),
        kinesisRecord('shardId-000000000001', '11'),
      ],
    } as KinesisStreamEvent;
    const out = kinesisBatches(event);
    expect(out.map((b) => [b.sourceId, b.records.map((r) => r.sequence)])).toEqual([
      ['shardId-000000000001', ['10', '11']],
      ['shardId-000000000000', ['5']],
    ]);
    expect(out[0]!.records[0]!.arrivalMs).toBe(1700000000500);
    expect(out[0]!.records[0]!.partitionKey).toBe('u1');
  });

  it('refuses a record without a shard id', () => {
    const bad = { ...kinesisRecord('x', '1'), eventID: 'nocolon' };
    expect(() => kinesisBatches({ Records: [bad] } as KinesisStreamEvent)).toThrow(MalformedEventError);
  });

  it('reports the failed sequence per source', () => {
    expect(kinesisResponse([outcome('a'), outcome('b', '42')])).toEqual({
      batchItemFailures: [{ itemIdentifier: '42' }],
    });
  });
});

describe('MSK events', () => {
  it('groups by topic-partition with offsets as sequences and decoded keys; failures name partition and offset', () => {
    const record = (partition: number, offset: number) => ({
      topic: 'clicks',
      partition,
      offset,
      timestamp: 1700000000123,
      timestampType: 'CREATE_TIME',
      key: Buffer.from('user-1').toString('base64'),
      value: 'e30=',
      headers: [],
    });
    const event = {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn',
      bootstrapServers: 'b',
      records: { 'clicks-0': [record(0, 7), record(0, 8)], 'clicks-1': [record(1, 3)] },
    } as unknown as MSKEvent;
    const out = mskBatches(event);
    expect(out.map((b) => [b.sourceId, b.records.map((r) => r.sequence)])).toEqual([
      ['clicks-0', ['7', '8']],
      ['clicks-1', ['3']],
    ]);
    expect(out[0]!.records[0]).toMatchObject({ arrivalMs: 1700000000123, partitionKey: 'user-1', data: 'e30=' });
    expect(mskResponse([outcome('clicks-0'), outcome('clicks-1', '3')])).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'clicks-1', offset: 3 } }],
    });
  });
});

describe('failOnNoProgress', () => {
  it('throws only when every source failed at its first record without writing', () => {
    expect(() => failOnNoProgress([outcome('a', '1', true), outcome('b', '9', true)])).toThrow(BatchFailedError);
    expect(() => failOnNoProgress([outcome('a', '1', true), outcome('b')])).not.toThrow();
    expect(() => failOnNoProgress([outcome('a', '5', false)])).not.toThrow();
  });
});

describe('stored state', () => {
  it('round-trips through JSON with −∞ stream time, and refuses foreign values', () => {
    const stored = toStoredValue({ m: Number.NEGATIVE_INFINITY, s: { '60000': [1] } }, [], []);
    expect(stored).toEqual({ k: { m: Number.NEGATIVE_INFINITY, s: { '60000': [1] } } });
    const back = readStoredValue('u1', JSON.parse(JSON.stringify(stored)));
    expect(back.k.m).toBe(Number.NEGATIVE_INFINITY);
    expect(() => readStoredValue('u1', { count: 3 })).toThrow(StoredStateFormatError);
    expect(() => readStoredValue('u1', { k: { m: 'x', s: {} } })).toThrow(/stream time/);
  });
});

describe('runtime settings', () => {
  it('emits metrics under the streamfold namespace with the single dimension pipeline=<name>', () => {
    const metrics = createProcessorMetrics({ name: 'clickstream' });
    metrics.addMetric(METRICS.received, 'Count', 3);
    const emf = metrics.serializeMetrics();
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Dimensions: [[METRIC_DIMENSION]],
    });
    expect(emf[METRIC_DIMENSION]).toBe('clickstream');
  });

  it('names the missing environment variable', () => {
    const saved = process.env[ENV.stateTable];
    delete process.env[ENV.stateTable];
    try {
      expect(() => createKinesisHandler(clickstream, { dynamodb: { send: async () => ({}) } as never })).toThrow(
        SettingError,
      );
      expect(() => createKinesisHandler(clickstream, { dynamodb: { send: async () => ({}) } as never })).toThrow(
        ENV.stateTable,
      );
    } finally {
      if (saved !== undefined) process.env[ENV.stateTable] = saved;
    }
  });
});
