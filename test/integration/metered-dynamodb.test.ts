import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTable } from '../../lambdas/state/index';
import { makeClients } from '../../local/aws-clients';
import { CostMeter, ItemSizes, meteredDynamoDb } from '../../local/cost/index';

// The cost meter against DynamoDB Local: real requests, units computed by AWS's billing rules (DynamoDB Local's own
// consumed-capacity figures differ: e.g. 0 for a missing key).
const clients = makeClients(inject('engineEndpoints'));
const table = `metered-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const item = (pk: string, sk: string, bytes: number) => ({
  pk: { S: pk },
  sk: { S: sk },
  p: { S: 'x'.repeat(bytes) },
});

beforeAll(async () => {
  await ensureTable(clients.dynamodb, {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
  });
});
afterAll(() => clients.destroy());

function setup() {
  const meter = new CostMeter();
  const items = new ItemSizes(clients.dynamodb);
  const client = meteredDynamoDb({ meter, component: 'test', client: clients.dynamodb, items });
  const totals = () => {
    const c = meter.lines().find((l) => l.service === 'dynamodb')?.counters ?? {};
    meter.reset();
    return c;
  };
  return { client, totals };
}

describe('meteredDynamoDb on DynamoDB Local', () => {
  it('bills a write by the larger of the old and new item, and a failed condition at the existing item', async () => {
    const { client, totals } = setup();
    await client.send(new PutItemCommand({ TableName: table, Item: item('w', 'a', 1500) }));
    expect(totals()).toMatchObject({ requests: 1, writeUnits: 2 });
    // Shrinking the item still costs what it was.
    await client.send(new PutItemCommand({ TableName: table, Item: item('w', 'a', 100) }));
    expect(totals()).toMatchObject({ writeUnits: 2 });
    await client.send(new PutItemCommand({ TableName: table, Item: item('w', 'a', 3000) }));
    expect(totals()).toMatchObject({ writeUnits: 3 });
    await expect(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: item('w', 'a', 10),
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(totals()).toMatchObject({ requests: 1, writeUnits: 3, conditionalFailures: 1 });
  });

  it('charges reads of missing keys (DynamoDB Local reports none) and halves eventual reads', async () => {
    const { client, totals } = setup();
    await client.send(new PutItemCommand({ TableName: table, Item: item('r', 'big', 5000) }));
    totals();
    const missing = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'r' }, sk: { S: 'nope' } },
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    expect(missing.Item).toBeUndefined();
    expect(totals()).toMatchObject({ requests: 1, readUnits: 0.5, missingReads: 1 });
    await client.send(
      new BatchGetItemCommand({
        RequestItems: {
          [table]: {
            Keys: [
              { pk: { S: 'r' }, sk: { S: 'big' } },
              { pk: { S: 'r' }, sk: { S: 'gone' } },
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
    // 5,000 bytes: 2 units strongly consistent; the missing key: 1.
    expect(totals()).toMatchObject({ requests: 1, readUnits: 3, missingReads: 1, items: 2 });
  });

  it('bills a Query once over the bytes of every item it read', async () => {
    const { client, totals } = setup();
    for (const sk of ['1', '2', '3'])
      await client.send(new PutItemCommand({ TableName: table, Item: item('q', sk, 2000) }));
    totals();
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'q' } },
        ConsistentRead: true,
      }),
    );
    expect(out.Items).toHaveLength(3);
    // ~6,000 bytes: 2 units (three item reads would be 3).
    expect(totals()).toMatchObject({ requests: 1, readUnits: 2, items: 3 });
  });

  it('doubles the units of a transaction', async () => {
    const { client, totals } = setup();
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: item('t', '1', 1500) } },
          { Put: { TableName: table, Item: item('t', '2', 100) } },
        ],
      }),
    );
    expect(totals()).toMatchObject({ requests: 1, writeUnits: 2 * 2 + 2 * 1, items: 2 });
  });
});
