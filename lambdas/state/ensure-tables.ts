import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { dedupeTableInput, stateTableInput, ttlInput } from './tables';

/** Create a table from `input` unless it exists, wait until ACTIVE, and enable TTL (local runtime and tests). */
export async function ensureTable(client: Pick<DynamoDBClient, 'send'>, input: CreateTableCommandInput): Promise<void> {
  const name = input.TableName!;
  let created = false;
  try {
    await client.send(new CreateTableCommand(input));
    created = true;
  } catch (error) {
    if (!(error instanceof ResourceInUseException) && (error as Error).name !== 'ResourceInUseException') throw error;
  }
  for (let i = 0; i < 300; i++) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    if (Table?.TableStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (created) await client.send(new UpdateTimeToLiveCommand(ttlInput(name)));
}

/** Create the state table and (when named) the dedupe table with the layout of ./tables. */
export async function ensureStateTables(
  client: Pick<DynamoDBClient, 'send'>,
  names: { stateTable: string; dedupeTable?: string },
): Promise<void> {
  await Promise.all([
    ensureTable(client, stateTableInput(names.stateTable)),
    names.dedupeTable ? ensureTable(client, dedupeTableInput(names.dedupeTable)) : Promise.resolve(),
  ]);
}
