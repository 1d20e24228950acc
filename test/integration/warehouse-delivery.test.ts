// The local warehouse's raw copy: Firehose-like delivery of a kinesis-mock stream into a folder (prefix layout,
// bounded partitions, buffering, gzip JSON lines, the error prefix) and DuckDB queries over it (`raw_events`); plus a
// check that the layout mirrors the CDK's raw delivery. The clean events: test/integration/clean-events.test.ts.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DATA_LAKE_PREFIXES } from '../../lib/data-lake-bucket';
import { RawEventDelivery } from '../../lib/raw-event-delivery';
import { makeClients } from '../../local/aws-clients';
import {
  DEFAULT_BUFFERING_BYTES,
  DEFAULT_BUFFERING_INTERVAL_MS,
  ERRORS_PREFIX,
  LocalDelivery,
  partitionOf,
  queryWarehouse,
  RAW_EVENTS_PREFIX,
  startWarehouseDelivery,
  WarehouseEmptyError,
  WarehouseQueryError,
} from '../../local/warehouse/index';
import { createStream, putRecords } from './esm-helpers';

const clients = makeClients(inject('engineEndpoints'));
const root = mkdtempSync(join(tmpdir(), 'streamfold-warehouse-'));
afterAll(() => {
  clients.destroy();
  rmSync(root, { recursive: true, force: true });
});

/** Every object file under a folder (relative paths). */
const objects = (dir: string) =>
  (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.gz')).sort();

describe('warehouse layout', () => {
  it('mirrors the CDK raw-event delivery: prefixes, GZIP, 60 s / 64 MiB buffering', () => {
    expect(RAW_EVENTS_PREFIX).toBe(DATA_LAKE_PREFIXES.raw);
    expect(ERRORS_PREFIX).toBe(DATA_LAKE_PREFIXES.errors);
    const stack = new Stack(new App(), 'Layout');
    const delivery = new RawEventDelivery(stack, 'Raw', {
      deliveryStreamName: 'clickstream-raw-events',
      source: { kind: 'kinesis', stream: new kinesis.Stream(stack, 'S') },
      bucket: new s3.Bucket(stack, 'B'),
    });
    const s3Config = stack.resolve(delivery.deliveryStream.extendedS3DestinationConfiguration) as {
      prefix: string;
      errorOutputPrefix: string;
      compressionFormat: string;
      bufferingHints: { intervalInSeconds: number; sizeInMBs: number };
    };
    expect(s3Config.prefix).toBe(
      `${RAW_EVENTS_PREFIX}event_type=!{partitionKeyFromQuery:event_type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
    );
    expect(s3Config.errorOutputPrefix).toBe(
      `${ERRORS_PREFIX}!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/`,
    );
    expect(s3Config.compressionFormat).toBe('GZIP');
    expect(s3Config.bufferingHints.intervalInSeconds * 1000).toBe(DEFAULT_BUFFERING_INTERVAL_MS);
    expect(s3Config.bufferingHints.sizeInMBs * 1024 * 1024).toBe(DEFAULT_BUFFERING_BYTES);
  });

  it('partitions like the JQ query: allowed values (other characters become _), anything else is "other", non-objects fail', () => {
    const p = (text: string) => partitionOf(Buffer.from(text), 'type', ['view', 'a b/c']);
    expect(p('{"type":"view"}')).toEqual({ ok: true, eventType: 'view' });
    expect(p('{"type":"a b/c"}')).toEqual({ ok: true, eventType: 'a_b_c' });
    expect(p('{"type":"teleport"}')).toEqual({ ok: true, eventType: 'other' });
    expect(p('{"type":5}')).toEqual({ ok: true, eventType: 'other' });
    expect(p('{"userId":"u"}')).toEqual({ ok: true, eventType: 'other' });
    expect(p('{"type":null}')).toEqual({ ok: true, eventType: 'other' });
    expect(p('null')).toEqual({ ok: true, eventType: 'other' });
    expect(p('{"type":"x"').ok).toBe(false);
    expect(p('["a","b"]').ok).toBe(false);
    expect(p('"text"').ok).toBe(false);
  });
});

describe('warehouse delivery from kinesis-mock', () => {
  it('buffers until the interval, writes one gzip JSON-lines object per partition, and queries with DuckDB', async () => {
    const stream = await createStream(clients.kinesis, 'warehouse', 2);
    const dir = join(root, 'interval');
    const good = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ eventId: `e${i}`, userId: `u${i % 4}`, type: i % 3 === 0 ? 'click' : 'view' }),
    );
    const bad = ['{"eventId":"broken"', '["not","an","object"]'];
    await putRecords(
      clients.kinesis,
      stream,
      [...good, ...bad].map((data, i) => ({ key: `k${i}`, data })),
    );
    let clock = Date.now();
    const warehouse = await startWarehouseDelivery({
      client: clients.kinesis,
      streamName: stream,
      dir,
      deliveryStreamName: 'test-raw-events',
      eventTypes: ['click', 'view'],
      pollIntervalMs: 100,
      bufferingIntervalMs: 60_000,
      now: () => clock,
    });
    await warehouse.drain(30_000);
    expect(warehouse.counters()).toMatchObject({ received: 32, buffered: 32, objects: 0 });
    await expect(queryWarehouse(dir, 'SELECT 1')).rejects.toThrow(WarehouseEmptyError);
    clock += 60_000;
    await warehouse.delivery.tick();
    expect(warehouse.counters()).toMatchObject({ delivered: 30, failed: 2, objects: 3, buffered: 0 });
    await warehouse.stop();

    const files = objects(dir);
    expect(files).toHaveLength(3);
    for (const file of files) {
      expect(file).toMatch(
        /^(raw\/event_type=(click|view)|errors\/partitioning-failed)\/dt=\d{4}-\d{2}-\d{2}\/hour=\d{2}\/test-raw-events-1-\d{4}(-\d{2}){5}-[0-9a-f-]{36}\.gz$/,
      );
    }
    const viewFile = files.find((f) => f.includes('event_type=view'))!;
    const viewLines = gunzipSync(readFileSync(join(dir, viewFile)))
      .toString('utf8')
      .trimEnd()
      .split('\n');
    expect(viewLines.sort()).toEqual(good.filter((l) => l.includes('"view"')).sort());
    const errorFile = files.find((f) => f.startsWith('errors/'))!;
    const errors = gunzipSync(readFileSync(join(dir, errorFile)))
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { rawData: string; errorCode: string });
    expect(errors.map((e) => Buffer.from(e.rawData, 'base64').toString('utf8')).sort()).toEqual([...bad].sort());

    const result = await queryWarehouse(
      dir,
      'SELECT event_type, count(*)::INTEGER AS n, count(DISTINCT userId)::INTEGER AS users FROM raw_events GROUP BY 1 ORDER BY 1',
    );
    expect(result.columns).toEqual(['event_type', 'n', 'users']);
    expect(result.rows).toEqual([
      { event_type: 'click', n: 10, users: 4 },
      { event_type: 'view', n: 20, users: 4 },
    ]);
    const failed = await queryWarehouse(dir, 'SELECT count(*)::INTEGER AS n FROM event_errors');
    expect(failed.rows).toEqual([{ n: 2 }]);
    await expect(queryWarehouse(dir, 'SELECT nope FROM raw_events')).rejects.toThrow(WarehouseQueryError);
    // No clean events were delivered here: the analysts' view does not exist.
    await expect(queryWarehouse(dir, 'SELECT count(*) FROM events')).rejects.toThrow(WarehouseQueryError);
  });

  it('writes a partition as soon as its buffer reaches the buffering size', async () => {
    const dir = join(root, 'size');
    const delivery = new LocalDelivery({ dir, deliveryStreamName: 's', bufferingBytes: 100 });
    const record = (i: number) => ({
      data: Buffer.from(JSON.stringify({ type: 'view', i, pad: 'x'.repeat(40) })),
      arrivalMs: Date.now(),
    });
    await delivery.put([record(1)]);
    expect(delivery.counters()).toMatchObject({ objects: 0, buffered: 1 });
    await delivery.put([record(2), record(3)]);
    expect(delivery.counters()).toMatchObject({ objects: 1, delivered: 3, buffered: 0 });
    expect(objects(dir)).toHaveLength(1);
  });
});
