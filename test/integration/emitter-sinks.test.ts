// Partial failures of the Firehose and Timestream sinks, through the emitter (delivery markers on DynamoDB Local).
// Firehose's FailedPutCount/RequestResponses and Timestream's RejectedRecordsException are responses no embedded
// engine produces, so these two service clients ARE mocked here (aws-sdk-client-mock) — and only they.
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { RejectedRecordsException, TimestreamWriteClient, WriteRecordsCommand } from '@aws-sdk/client-timestream-write';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createEmitterHandler, type EmitSummary } from '../../lambdas/emitter/index';
import { FirehoseSink, TIMESTREAM_MEASURE, TimestreamSink } from '../../lambdas/sinks/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { deliverStream, emissionTables, processLines, streamReader } from './emitter-helpers';
import { clickLines, lambdaContext, silentLogger } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const firehoseMock = mockClient(FirehoseClient);
const timestreamMock = mockClient(TimestreamWriteClient);
let tables: { stateTable: string; dedupeTable: string };
let records: DynamoDBRecord[] = [];
const fast = { baseDelayMs: 1, maxDelayMs: 3 };

beforeAll(async () => {
  tables = await emissionTables(clients.dynamodb, 'sinks');
  await processLines(clickstream, clients.dynamodb, tables, clickLines({ events: 150, users: 5, seed: 9 }));
  records = await (await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable)).next();
});
afterEach(() => {
  firehoseMock.reset();
  timestreamMock.reset();
});
afterAll(() => clients.destroy());

function emitter(sink: FirehoseSink | TimestreamSink) {
  const summaries: EmitSummary[] = [];
  const handler = createEmitterHandler(clickstream, {
    dynamodb: clients.dynamodb,
    ...tables,
    sinks: [sink],
    persistResults: false,
    logger: silentLogger(),
    onInvocation: (s) => summaries.push(s),
  });
  return {
    summaries,
    invoke: async (batch: DynamoDBRecord[]) =>
      (await handler({ Records: batch }, lambdaContext())) as { batchItemFailures: { itemIdentifier: string }[] },
  };
}

describe('sink partial failures', () => {
  it('Firehose: records failed in RequestResponses are retried, and each result lands, always as the same row', async () => {
    const landed: string[] = [];
    const rows = new Map<string, Set<string>>();
    let calls = 0;
    let stubborn: string | undefined;
    firehoseMock.on(PutRecordBatchCommand).callsFake((input) => {
      calls++;
      const lines = (input.Records as { Data: Uint8Array }[]).map((r) => Buffer.from(r.Data).toString('utf8'));
      stubborn ??= JSON.parse(lines[0]!).id;
      // Every other record fails on the first two calls; one record fails on the first 5 calls (beyond the sink's
      // 4 attempts: its stream record goes back to Lambda and is delivered on the next invocation).
      const fails = lines.map((line, i) => {
        const id = JSON.parse(line).id as string;
        return (calls <= 2 && i % 2 === 1) || (id === stubborn && calls <= 5);
      });
      lines.forEach((line, i) => {
        if (fails[i]) return;
        const id = JSON.parse(line).id as string;
        landed.push(id);
        rows.set(id, (rows.get(id) ?? new Set()).add(line));
      });
      return {
        FailedPutCount: fails.filter(Boolean).length,
        Encrypted: false,
        RequestResponses: fails.map((failed, i) =>
          failed ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : { RecordId: `r${i}` },
        ),
      };
    });
    const sink = new FirehoseSink({
      client: new FirehoseClient({ region: 'us-east-1' }),
      deliveryStreamName: 'results',
      backoff: fast,
    });
    const { invoke, summaries } = emitter(sink);
    const run = await deliverStream(records, invoke, { size: 100 });
    expect(run.retried).toBeGreaterThan(0);
    const results = summaries[0]!.results;
    expect(results).toBeGreaterThan(10);
    // Results have no delivery markers: the stubborn record's stream record is retried and sends its results again
    // (same id, byte-identical row), so rows land at least once; the warehouse's `results` view keeps one per id.
    expect(landed.length).toBe(summaries.reduce((n, s) => n + (s.delivered.firehose ?? 0), 0));
    expect(new Set(landed).size).toBeGreaterThanOrEqual(results);
    expect(landed.length).toBeGreaterThan(new Set(landed).size);
    expect([...rows.values()].every((lines) => lines.size === 1)).toBe(true);
    expect(summaries.reduce((n, s) => n + s.deliveryFailures, 0)).toBeGreaterThan(0);
    const row = firehoseMock.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.Records![0]!;
    expect(JSON.parse(Buffer.from(row.Data!).toString('utf8'))).toMatchObject({
      kind: 'result',
      pipeline: 'clickstream',
      window_start: expect.any(Number),
      window_end: expect.any(Number),
      values: expect.any(Object),
    });
  });

  it('Timestream: rejected records are retried; a record rejected with an ExistingVersion counts as written', async () => {
    const written: string[] = [];
    let calls = 0;
    timestreamMock.on(WriteRecordsCommand).callsFake((input) => {
      calls++;
      const keys = (input.Records as any[]).map((r) => `${r.Dimensions[1].Value}|${r.Dimensions[2].Value}|${r.Time}`);
      if (calls === 1 && keys.length >= 4) {
        // Index 1: rejected (retry it); index 3: already stored by an earlier send (ExistingVersion).
        keys.forEach((key, i) => {
          if (i !== 1) written.push(key);
        });
        throw new RejectedRecordsException({
          message: 'One or more records have been rejected.',
          $metadata: {},
          RejectedRecords: [
            { RecordIndex: 1, Reason: 'Internal error, retry.' },
            { RecordIndex: 3, Reason: 'A record already exists with the same version.', ExistingVersion: 1 },
          ],
        });
      }
      written.push(...keys);
      return { RecordsIngested: { Total: keys.length }, $metadata: {} };
    });
    const sink = new TimestreamSink({
      client: new TimestreamWriteClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9' }),
      databaseName: 'streamfold-clickstream',
      tableName: 'window_results',
      backoff: fast,
    });
    const { invoke, summaries } = emitter(sink);
    await deliverStream(records, invoke, { size: 100 });
    const calls0 = timestreamMock.commandCalls(WriteRecordsCommand);
    expect(calls0.length).toBeGreaterThanOrEqual(2);
    const first = calls0[0]!.args[0].input.Records!;
    const retry = calls0[1]!.args[0].input.Records!;
    expect(retry).toEqual([first[1]]);
    expect(first[0]).toMatchObject({
      MeasureName: TIMESTREAM_MEASURE,
      MeasureValueType: 'MULTI',
      TimeUnit: 'MILLISECONDS',
      Version: 1,
    });
    expect(new Set(written).size).toBe(written.length);
    const delivered = summaries.reduce((n, s) => n + (s.delivered.timestream ?? 0), 0);
    expect(delivered).toBe(written.length);
    expect(summaries.reduce((n, s) => n + s.deliveryFailures, 0)).toBe(0);
  });
});
