import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { dedupeTableInput, type StateStreamView, stateTableInput, ttlInput } from './tables';

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
    await sleep(100);
  }
  if (created) await client.send(new UpdateTimeToLiveCommand(ttlInput(name)));
}

/**
 * Create the state table and (when named) the dedupe table with the layout of ./tables. `options.stream` is the state
 * table's stream view (default NEW_AND_OLD_IMAGES, for the emitter); `false` creates it without a stream.
 */
export async function ensureStateTables(
  client: Pick<DynamoDBClient, 'send'>,
  names: { stateTable: string; dedupeTable?: string },
  options: { stream?: StateStreamView | false } = {},
): Promise<void> {
  await Promise.all([
    ensureTable(client, stateTableInput(names.stateTable, options)),
    names.dedupeTable ? ensureTable(client, dedupeTableInput(names.dedupeTable)) : Promise.resolve(),
  ]);
}
