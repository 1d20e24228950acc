// The pipeline's id key on DynamoDB Local: created once by whoever needs it first (a conditional put), the same for
// every concurrent caller and every later container, stored in the internal item (pk #meta, sk id-key).
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ID_KEY_BYTES, IdKeyError, loadIdKey } from '../../lambdas/emitter/index';
import { ID_KEY_ATTRIBUTE, ID_KEY_SORT_KEY, META_PARTITION } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { emissionTables } from './emitter-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
afterAll(() => clients.destroy());

/** Another container: its own client (so its own cache). */
const container = () =>
  new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

describe('loadIdKey', () => {
  it('concurrent first calls from several containers agree on one 32-byte key, stored in #meta / id-key', async () => {
    const { stateTable } = await emissionTables(clients.dynamodb, 'idkey');
    const containers = Array.from({ length: 6 }, container);
    const calls: string[] = [];
    const keys = await Promise.all(
      containers.map((client) => loadIdKey({ client, tableName: stateTable, onCall: (c) => calls.push(c.operation) })),
    );
    for (const key of keys) expect(Buffer.from(key).equals(Buffer.from(keys[0]!))).toBe(true);
    expect(keys[0]!.length).toBe(ID_KEY_BYTES);
    expect(calls.filter((c) => c === 'PutItem').length).toBeGreaterThanOrEqual(1);
    const item = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: stateTable,
        Key: { pk: { S: META_PARTITION }, sk: { S: ID_KEY_SORT_KEY } },
        ConsistentRead: true,
      }),
    );
    expect(Buffer.from(item.Item![ID_KEY_ATTRIBUTE]!.B!).equals(Buffer.from(keys[0]!))).toBe(true);
    // A later container reads it (one GetItem), and a second call in the same container makes no call at all.
    const later = container();
    const laterCalls: string[] = [];
    const again = await loadIdKey({
      client: later,
      tableName: stateTable,
      onCall: (c) => laterCalls.push(c.operation),
    });
    await loadIdKey({ client: later, tableName: stateTable, onCall: (c) => laterCalls.push(c.operation) });
    expect(Buffer.from(again).equals(Buffer.from(keys[0]!))).toBe(true);
    expect(laterCalls).toEqual(['GetItem']);
    for (const c of [...containers, later]) c.destroy();
  });

  it('refuses an id key item that holds no valid key, and does not overwrite it', async () => {
    const { stateTable } = await emissionTables(clients.dynamodb, 'idkey-bad');
    await clients.dynamodb.send(
      new PutItemCommand({
        TableName: stateTable,
        Item: { pk: { S: META_PARTITION }, sk: { S: ID_KEY_SORT_KEY }, [ID_KEY_ATTRIBUTE]: { B: new Uint8Array(4) } },
      }),
    );
    const client = container();
    await expect(loadIdKey({ client, tableName: stateTable })).rejects.toThrow(IdKeyError);
    await expect(loadIdKey({ client, tableName: stateTable })).rejects.toThrow(/holds no 32-byte binary attribute/);
    const item = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: stateTable,
        Key: { pk: { S: META_PARTITION }, sk: { S: ID_KEY_SORT_KEY } },
        ConsistentRead: true,
      }),
    );
    expect(item.Item![ID_KEY_ATTRIBUTE]!.B!.length).toBe(4);
    client.destroy();
  });
});
