import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeClients } from '../../local/aws-clients';
import { groupMembers, JavaMissingError, startEngines } from '../../local/engines/index';
import { assertJava, parseJavaMajor } from '../../local/engines/java';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
const suffix = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

afterAll(() => clients.destroy());

async function waitGone(pgid: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let members = await groupMembers(pgid);
  while (members.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    members = await groupMembers(pgid);
  }
  return members;
}

describe('embedded engines', () => {
  it('both answer', async () => {
    const streams = await clients.kinesis.send(new ListStreamsCommand({}));
    expect(Array.isArray(streams.StreamNames)).toBe(true);
    const tables = await clients.dynamodb.send(new ListTablesCommand({}));
    expect(Array.isArray(tables.TableNames)).toBe(true);
  });

  it('kinesis: create a stream, put a record and get it back', async () => {
    const StreamName = `engines-test-${suffix}`;
    await clients.kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
    await waitUntilStreamExists({ client: clients.kinesis, maxWaitTime: 30, minDelay: 1 }, { StreamName });
    const put = await clients.kinesis.send(
      new PutRecordCommand({ StreamName, PartitionKey: 'user-1', Data: new TextEncoder().encode('{"n":1}') }),
    );
    expect(put.SequenceNumber).toMatch(/^\d+$/);
    const { Shards } = await clients.kinesis.send(new ListShardsCommand({ StreamName }));
    const { ShardIterator } = await clients.kinesis.send(
      new GetShardIteratorCommand({ StreamName, ShardId: Shards![0]!.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const got = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator }));
    expect(got.Records?.map((r) => new TextDecoder().decode(r.Data))).toEqual(['{"n":1}']);
    expect(got.Records?.[0]?.SequenceNumber).toBe(put.SequenceNumber);
  });

  it('dynamodb: create a table; a conditional put refuses to overwrite and returns the old item', async () => {
    const TableName = `engines-test-${suffix}`;
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const put = (v: string) =>
      clients.dynamodb.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: 'a' }, v: { S: v } },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
    const first = await put('first');
    expect(first.ConsumedCapacity?.CapacityUnits).toBeGreaterThan(0);
    const error = await put('second').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item?.v).toEqual({ S: 'first' });
  });

  it('stop() leaves no process behind', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    delete process.env.AWS_ENDPOINT_URL; // this test is about the embedded engines, also in a LocalStack run
    try {
      const engines = await startEngines();
      expect(engines.external).toBe(false);
      expect(engines.processes.map((p) => p.name).sort()).toEqual(['dynamodb-local', 'kinesis-mock']);
      for (const { pid } of engines.processes) {
        // wrapper shell + engine (+ watchdog subshell)
        expect((await groupMembers(pid)).length).toBeGreaterThanOrEqual(2);
      }
      await engines.stop();
      for (const { pid } of engines.processes) expect(await groupMembers(pid)).toEqual([]);
    } finally {
      if (saved !== undefined) process.env.AWS_ENDPOINT_URL = saved;
    }
  });

  it('engines die with their parent even when it is SIGKILLed', async () => {
    const env = { ...process.env };
    delete env.AWS_ENDPOINT_URL;
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/setup/hold-engines.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`fixture exited early with ${code}`)));
    });
    const processes = JSON.parse(line) as { name: string; pid: number }[];
    expect(processes).toHaveLength(1);
    const pgid = processes[0]!.pid;
    expect((await groupMembers(pgid)).length).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    expect(await waitGone(pgid, 10_000)).toEqual([]);
  });

  it('names the package to install when java is missing', () => {
    expect(() => assertJava('/nonexistent/java')).toThrow(JavaMissingError);
    expect(() => assertJava('/nonexistent/java')).toThrow(/apt-get install openjdk-17-jre-headless/);
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('no version here')).toBeUndefined();
  });
});
