/**
 * Synth-time checks: each validation fails with a message naming the setting and quoting the bad value; the
 * 6 MB payload check warns; cdk.json context values are parsed and checked. No bundling (validation runs first).
 */
import { readFileSync } from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { definePipeline, tumbling } from '../../core';
import { count } from '../../core/aggregates';
import {
  CONTEXT_KEYS,
  Emission,
  estimatedEventBytes,
  PipelineProcessor,
  ProcessorEntryError,
  SettingError,
  SideOutputQueues,
  StateTables,
  settingsFromContext,
  UnsafeParallelizationError,
  validateEmissionSettings,
  validateProcessorSettings,
  writeEmissionEntry,
} from '../../lib';
import { ClickEvent, clickstream } from '../../pipelines/clickstream';
import { buildStack, CLICKSTREAM_PATH } from './stack-fixture';

/** A pipeline keyed by user but partitioned by session: parallelization > 1 is unsafe for it. */
const partitionedBySession = definePipeline({
  name: 'by-session',
  schema: ClickEvent,
  key: 'userId',
  partitionKey: 'eventId',
  time: 'ts',
  windows: { perMinute: tumbling('1m') },
  aggregates: { events: count() },
});

describe('fails if', () => {
  it('parallelizationFactor > 1 and the aggregation key is not the partition key (docs/architecture.md §2.10)', () => {
    const build = () =>
      buildStack({
        pipeline: partitionedBySession,
        definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' },
        parallelizationFactor: 2,
      });
    expect(build).toThrow(UnsafeParallelizationError);
    expect(build).toThrow(/parallelizationFactor: 2 is only safe when the aggregation key is the partition key/);
    expect(build).toThrow(/"userId".*"eventId"/);
  });

  it('the same pipeline is accepted with parallelizationFactor 1', () => {
    expect(() =>
      buildStack({
        pipeline: partitionedBySession,
        definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' },
        parallelizationFactor: 1,
      }),
    ).not.toThrow();
  });

  it.each([
    [{ parallelizationFactor: 11 }, /parallelizationFactor: expected an integer from 1 to 10, got 11/],
    [{ parallelizationFactor: 1.5 }, /parallelizationFactor: .* got 1.5/],
    [{ batchSize: 0 }, /batchSize: expected an integer from 1 to 10000, got 0/],
    [{ batchSize: 20_000 }, /batchSize: .* got 20000/],
    [{ retryAttempts: -1 }, /retryAttempts: expected a finite number of retries .* got -1/],
    [{ retryAttempts: 10_001 }, /retryAttempts: .* got 10001/],
    [{ maxRecordAge: Duration.seconds(30) }, /maxRecordAge: expected from 60 seconds to 7 days, got "30 seconds"/],
    [{ maxRecordAge: Duration.days(8) }, /maxRecordAge: .* got "691200 seconds"/],
    [{ maxBatchingWindow: Duration.seconds(301) }, /maxBatchingWindow: .* got "301 seconds"/],
    [{ processorMemoryMb: 64 }, /memorySize: .* got 64/],
    [{ expectedRecordBytes: 0 }, /expectedRecordBytes: .* got 0/],
    [{ streamMode: 'serverless' as never }, /streamMode: expected 'on-demand' or 'provisioned', got "serverless"/],
    [{ shardCount: 2 }, /shardCount: expected no shard count with streamMode 'on-demand', got 2/],
    [{ streamMode: 'provisioned' as const, shardCount: 0 }, /shardCount: expected an integer from 1 to 10000, got 0/],
    [{ streamRetention: Duration.hours(12) }, /retention: expected from 24 hours to 8760 hours .* got "12 hours"/],
    [{ ingestion: 'sqs' as never }, /ingestion: expected 'kinesis' or 'msk', got "sqs"/],
    [{ ingestion: 'msk' as const, enhancedFanOut: true }, /no Kinesis settings with ingestion 'msk'/],
    [{ ingestion: 'msk' as const, parallelizationFactor: 2 }, /parallelizationFactor: expected 1 with MSK/],
    [{ mskTopic: 'clicks' }, /no MSK settings with ingestion 'kinesis'/],
    [
      { ingestion: 'msk' as const, mskClusterArn: 'arn:aws:s3:::bucket' },
      /mskClusterArn: .* got "arn:aws:s3:::bucket"/,
    ],
    [{ ingestion: 'msk' as const, mskTopic: 'bad topic' }, /mskTopic: .* got "bad topic"/],
    [{ eventTypeField: 'type | halt' }, /eventTypeField: .* got "type \| halt"/],
    [{ deliveryBufferingInterval: Duration.seconds(901) }, /bufferingInterval: .* got "901 seconds"/],
    [{ deliveryBufferingSizeMiB: 32 }, /bufferingSizeMiB: .* got 32/],
    [{ warehouse: 'bigquery' as never }, /warehouse: expected .* got "bigquery"/],
    [{ alarmEmail: 'not-an-email' }, /alarmEmail: expected an email address, got "not-an-email"/],
    [{ alarmThresholds: { iteratorAgeMs: -5 } }, /alarmThresholds.iteratorAgeMs: .* got -5/],
    [{ alarmThresholds: { deliverySuccessRatio: 2 } }, /deliverySuccessRatio: expected a ratio from 0 to 1, got 2/],
    [{ columns: [{ name: 'dt', type: 'string' }] }, /columns: expected no column named like a partition .* got "dt"/],
    [{ columns: [{ name: 'sf_uid', type: 'string' }] }, /columns: expected .* starting with sf_ .* got "sf_uid"/],
    [
      { alarmThresholds: { deliveryFreshnessSeconds: 60 } },
      /alarmThresholds.deliveryFreshnessSeconds: expected more seconds than the delivery buffering interval \(60 s\).* got 60/,
    ],
    [
      { closerInterval: Duration.seconds(90) },
      /closerInterval: expected a whole number of minutes from 1 to 60, got "1.5 minutes"/,
    ],
    [{ closerInterval: Duration.hours(2) }, /closerInterval: .* got "120 minutes"/],
    [{ idleTimeout: Duration.millis(500) }, /idleTimeout: expected from 1 second to 1 day, got "0.5 seconds"/],
    [{ idleTimeout: Duration.days(2) }, /idleTimeout: .* got "172800 seconds"/],
    [{ alarmThresholds: { emitterIteratorAgeMs: -1 } }, /alarmThresholds.emitterIteratorAgeMs: .* got -1/],
    // The emitter's iterator-age alarm threshold (was Emission's `iteratorAgeAlarmMs`; the alarm is the facade's now).
    [
      { alarmThresholds: { emitterIteratorAgeMs: Number.POSITIVE_INFINITY } },
      /alarmThresholds.emitterIteratorAgeMs: expected a finite number ≥ 0, got Infinity/,
    ],
  ])('%o', (props, message) => {
    expect(() => buildStack(props)).toThrow(SettingError);
    expect(() => buildStack(props)).toThrow(message);
  });

  it('the definition module does not exist', () => {
    expect(() => buildStack({ definition: { path: '/nowhere/pipeline.ts' } })).toThrow(ProcessorEntryError);
    expect(() => buildStack({ definition: { path: '/nowhere/pipeline.ts' } })).toThrow(/"\/nowhere\/pipeline.ts"/);
  });

  it('the export name is not an identifier', () => {
    expect(() => buildStack({ definition: { path: CLICKSTREAM_PATH, exportName: 'a-b' } })).toThrow(
      /exportName: expected a JavaScript identifier or 'default', got "a-b"/,
    );
  });
});

describe('fails if (PipelineProcessor construct)', () => {
  /** A processor in a bare stack (the construct validates before it bundles anything). */
  function processor(props: Partial<ConstructorParameters<typeof PipelineProcessor>[2]>): PipelineProcessor {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 's');
    const tables = new StateTables(stack, 'T', { stateTableName: 'st', dedupeTableName: 'dd' });
    const queues = new SideOutputQueues(stack, 'Q', {
      names: { rejected: 'r', late: 'l', failed: 'f' },
      encryptionKey: new kms.Key(stack, 'K'),
    });
    return new PipelineProcessor(stack, 'P', {
      pipeline: clickstream,
      definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' },
      source: { kind: 'kinesis', stream: new kinesis.Stream(stack, 'S') },
      stateTable: tables.stateTable,
      rejectedQueue: queues.rejected,
      lateQueue: queues.late,
      failedQueue: queues.failed,
      ...props,
    });
  }

  it.each([
    [{ cacheSize: 0 }, /cacheSize: expected an integer from 1 to 10000000, got 0/],
    [{ cacheSize: -1 }, /cacheSize: expected an integer from 1 to 10000000, got -1/],
    [{ cacheSize: 2.5 }, /cacheSize: expected an integer from 1 to 10000000, got 2.5/],
    [{ writeConcurrency: 0 }, /writeConcurrency: expected an integer from 1 to 256, got 0/],
    [{ writeConcurrency: 1.5 }, /writeConcurrency: expected an integer from 1 to 256, got 1.5/],
    [{ mskPollers: { minimum: 1 } }, /mskPollers: expected no MSK pollers with a Kinesis source, got \{"minimum":1\}/],
  ])('%o', (props, message) => {
    expect(() => processor(props)).toThrow(SettingError);
    expect(() => processor(props)).toThrow(message);
  });

  it('accepts the smallest valid cache and write concurrency', () => {
    expect(() => processor({ cacheSize: 1, writeConcurrency: 1 })).not.toThrow();
  });

  it.each([
    [{ minimum: 0 }, /mskPollers.minimum: expected an integer from 1 to 200, got 0/],
    [{ minimum: 201 }, /mskPollers.minimum: expected an integer from 1 to 200, got 201/],
    [{ maximum: 2001 }, /mskPollers.maximum: expected an integer from 1 to 2000, got 2001/],
    [
      { minimum: 5, maximum: 2 },
      /mskPollers: expected a minimum no larger than the maximum, got \{"minimum":5,"maximum":2\}/,
    ],
    [{ minimum: 20 }, /mskPollers: expected a minimum no larger than the maximum, got \{"minimum":20,"maximum":10\}/],
  ])('MSK pollers %o', (mskPollers, message) => {
    const check = () => validateProcessorSettings({ pipeline: clickstream, sourceKind: 'msk', mskPollers });
    expect(check).toThrow(SettingError);
    expect(check).toThrow(message);
  });

  it('MSK pollers through the stack', () => {
    expect(() => buildStack({ ingestion: 'msk', mskPollers: { maximum: 0 } })).toThrow(
      /mskPollers.maximum: expected an integer from 1 to 2000, got 0/,
    );
    expect(() => buildStack({ mskPollers: { maximum: 4 } })).toThrow(/mskPollers: expected no MSK pollers/);
  });
});

describe('fails if (MSK Serverless and Firehose)', () => {
  it('raw-event delivery is asked for with a created MSK Serverless cluster', () => {
    const build = () => buildStack({ ingestion: 'msk', rawEventDelivery: true });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(
      /rawEventDelivery: expected false with a created MSK Serverless cluster \(Firehose reads MSK only over multi-VPC private connectivity.*\), got true/,
    );
  });
});

describe('fails if (Emission construct)', () => {
  const base = { pipeline: clickstream };

  it.each([
    [{ batchSize: 0 }, /batchSize: expected an integer from 1 to 10000, got 0/],
    [{ retryAttempts: -1 }, /retryAttempts: expected an integer from 0 to 10000, got -1/],
    [{ memorySize: 100 }, /memorySize: expected an integer from 128 to 10240, got 100/],
    [{ maxRecordAge: Duration.seconds(59) }, /maxRecordAge: expected from 60 seconds to 7 days, got "59 seconds"/],
    [
      { warehouse: { bucket: undefined as never, databaseName: 'db', bufferingInterval: Duration.seconds(901) } },
      /warehouse.bufferingInterval: expected a whole number of seconds from 0 to 900, got "901 seconds"/,
    ],
    [
      { warehouse: { bucket: undefined as never, databaseName: 'db', tableName: 'Results-Table' } },
      /warehouse.tableName: expected lowercase letters, digits and _, got "Results-Table"/,
    ],
  ])('%o', (props, message) => {
    expect(() => validateEmissionSettings({ ...base, ...props })).toThrow(SettingError);
    expect(() => validateEmissionSettings({ ...base, ...props })).toThrow(message);
  });

  it('the state table has no stream', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 's');
    const table = new dynamodb.Table(stack, 'T', {
      tableName: 'no-stream',
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    let n = 0;
    const build = () =>
      new Emission(stack, `E${n++}`, {
        pipeline: clickstream,
        definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' },
        stateTable: table,
        dedupeTable: table,
      });
    expect(build).toThrow(SettingError);
    expect(build).toThrow(/stateTable: expected a table with a stream \(NEW_AND_OLD_IMAGES\), got "s\/T"/);
  });

  it('the emitter or closer entry cannot be generated', () => {
    expect(() => writeEmissionEntry({ path: CLICKSTREAM_PATH, exportName: 'a-b' }, 'emitter')).toThrow(
      /exportName: expected a JavaScript identifier or 'default', got "a-b"/,
    );
    expect(() => writeEmissionEntry({ path: '/nowhere/pipeline.ts' }, 'closer')).toThrow(ProcessorEntryError);
  });
});

describe('6 MB payload warning', () => {
  it('estimates ~1.9 KB in the event for a 1 KiB record', () => {
    expect(estimatedEventBytes(1024)).toBeGreaterThan(1800);
    expect(estimatedEventBytes(1024)).toBeLessThan(2000);
  });

  it('warns when batchSize × record size can exceed 6 MB, naming the safe batch size', () => {
    const stack = buildStack({ batchSize: 5000 });
    Annotations.fromStack(stack).hasWarning(
      '/test-stack/Default/Processor',
      Match.stringLikeRegexp(
        'batchSize 5000 with ~1024-byte records .* over Lambda.s 6 MB payload limit.*at most 3283',
      ),
    );
  });

  it('does not warn for large batches of small records', () => {
    const stack = buildStack({ batchSize: 5000, expectedRecordBytes: 100 });
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('6 MB'))).toEqual([]);
  });
});

describe('cdk.json context', () => {
  const read = (context: Record<string, unknown>) => settingsFromContext(new App({ context }).node);

  it('parses command-line strings into typed settings', () => {
    const s = read({
      ingestion: 'msk',
      batchSize: '250',
      batchingWindowSeconds: '5',
      enhancedFanOut: 'true',
      timestream: 'false',
      streamRetentionHours: '48',
      removalPolicy: 'destroy',
      alarmThresholds: '{"iteratorAgeMs":120000}',
      alertsEventBus: 'true',
      persistResults: false,
      closerIntervalMinutes: '5',
      idleTimeoutSeconds: 90,
    });
    expect(s.ingestion).toBe('msk');
    expect(s.batchSize).toBe(250);
    expect(s.maxBatchingWindow?.toSeconds()).toBe(5);
    expect(s.enhancedFanOut).toBe(true);
    expect(s.timestream).toBe(false);
    expect(s.streamRetention?.toHours()).toBe(48);
    expect(s.removalPolicy).toBe('destroy');
    expect(s.alarmThresholds).toEqual({ iteratorAgeMs: 120_000 });
    expect(s.alertsEventBus).toBe(true);
    expect(s.persistResults).toBe(false);
    expect(s.closerInterval?.toMinutes()).toBe(5);
    expect(s.idleTimeout?.toSeconds()).toBe(90);
  });

  it('cdk.json sets the emission keys to the construct defaults, and each key is documented', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    for (const key of ['alertsEventBus', 'closerIntervalMinutes', 'idleTimeoutSeconds']) {
      expect(CONTEXT_KEYS).toHaveProperty(key);
      expect(cdkJson.context).toHaveProperty(key);
    }
    // persistResults is off by default: cdk.json leaves it (and the definition's deploy section) to the default.
    expect(CONTEXT_KEYS).toHaveProperty('persistResults');
    expect(cdkJson.context).not.toHaveProperty('persistResults');
    const s = read(cdkJson.context);
    expect([s.alertsEventBus, s.persistResults, s.closerInterval?.toMinutes(), s.idleTimeout?.toSeconds()]).toEqual([
      false,
      undefined,
      1,
      60,
    ]);
  });

  it('parses the producer principal, MSK pollers, raw-event delivery and eventTypeField false', () => {
    const s = read({
      producerPrincipalArn: 'arn:aws:iam::123456789012:role/producer',
      mskMinPollers: '2',
      mskMaxPollers: 8,
      rawEventDelivery: 'false',
      eventTypeField: 'false',
    });
    expect(s.producerPrincipal?.policyFragment.principalJson).toEqual({
      AWS: ['arn:aws:iam::123456789012:role/producer'],
    });
    expect(s.mskPollers).toEqual({ minimum: 2, maximum: 8 });
    expect(s.rawEventDelivery).toBe(false);
    expect(s.eventTypeField).toBe(false);
    expect(read({ eventTypeField: false }).eventTypeField).toBe(false);
    expect(read({ eventTypeField: 'kind' }).eventTypeField).toBe('kind');
  });

  it('leaves unset and empty keys to the construct defaults', () => {
    const s = read({ alarmEmail: '' });
    expect(Object.values(s).every((v) => v === undefined)).toBe(true);
  });

  it.each([
    [{ batchSize: 'many' }, /batchSize: expected a number, got "many"/],
    [{ enhancedFanOut: 'yes' }, /enhancedFanOut: expected true or false, got "yes"/],
    [{ ingestion: 'kafka' }, /ingestion: expected 'kinesis' or 'msk', got "kafka"/],
    [{ removalPolicy: 'snapshot' }, /removalPolicy: expected 'retain' or 'destroy', got "snapshot"/],
    [{ alarmThresholds: '{nope' }, /alarmThresholds: expected a JSON object of thresholds, got "\{nope"/],
    [{ alarmThresholds: { iteratorAge: 5 } }, /alarmThresholds.iteratorAge: expected one of iteratorAgeMs/],
    [{ persistResults: 'no' }, /persistResults: expected true or false, got "no"/],
    [{ closerIntervalMinutes: '-5' }, /closerIntervalMinutes: expected a number ≥ 0, got "-5"/],
    [{ idleTimeoutSeconds: 'soon' }, /idleTimeoutSeconds: expected a number, got "soon"/],
    [{ rawEventDelivery: 'maybe' }, /rawEventDelivery: expected true or false, got "maybe"/],
    [{ mskMinPollers: 'two' }, /mskMinPollers: expected a number, got "two"/],
    [
      { producerPrincipalArn: 'arn:aws:s3:::bucket' },
      /producerPrincipalArn: expected an IAM role or user ARN, or arn:aws:iam::<account>:root, got "arn:aws:s3:::bucket"/,
    ],
    [{ eventTypeField: 7 }, /eventTypeField: expected a string, got 7/],
  ])('fails on %o', (context, message) => {
    expect(() => read(context)).toThrow(message);
  });
});
