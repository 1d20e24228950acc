import { dirname } from 'node:path';
import { KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { resolveOptional } from '../optional-packages';
import { freePort } from './ports';
import { type ManagedProcess, spawnManaged } from './process';
import { waitUntilReady } from './wait';

/** A running kinesis-mock. */
export interface RunningKinesis {
  endpoint: string;
  process: ManagedProcess;
}

/** Durations kinesis-mock waits before a stream operation completes (default 500 ms each): zero them for fast tests. */
const FAST_DURATIONS = [
  'CREATE_STREAM_DURATION',
  'DELETE_STREAM_DURATION',
  'REGISTER_STREAM_CONSUMER_DURATION',
  'DEREGISTER_STREAM_CONSUMER_DURATION',
  'START_STREAM_ENCRYPTION_DURATION',
  'STOP_STREAM_ENCRYPTION_DURATION',
  'MERGE_SHARDS_DURATION',
  'SPLIT_SHARD_DURATION',
  'UPDATE_SHARD_COUNT_DURATION',
  'UPDATE_STREAM_MODE_DURATION',
];

/** Folder of the `kinesis-local` package (holds main.js and server.json, which it reads from its cwd). */
export function kinesisLocalDir(): string {
  return dirname(resolveOptional('kinesis-local/package.json', 'kinesis-local', 'kinesis-mock (`streamfold dev`)'));
}

/**
 * Start kinesis-mock (npm `kinesis-local`, a Node program) on free loopback ports (plain HTTP and TLS), in memory,
 * with zero operation durations, and wait until ListStreams answers.
 */
export async function startKinesisMock(
  options: { log?: (line: string) => void; timeoutMs?: number } = {},
): Promise<RunningKinesis> {
  const cwd = kinesisLocalDir();
  const [plainPort, tlsPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KINESIS_MOCK_PLAIN_PORT: String(plainPort),
    KINESIS_MOCK_TLS_PORT: String(tlsPort),
    SHOULD_PERSIST_DATA: 'false',
    LOAD_DATA_IF_EXISTS: 'false',
    SHARD_LIMIT: '1000',
    ON_DEMAND_STREAM_COUNT_LIMIT: '100',
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'WARN',
  };
  for (const name of FAST_DURATIONS) env[name] = '0ms';
  const managed = spawnManaged('kinesis-mock', process.execPath, ['main.js'], { cwd, env, log: options.log });
  const endpoint = `http://127.0.0.1:${plainPort}`;
  const client = new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler({ requestTimeout: 2_000 }),
    maxAttempts: 1,
  });
  try {
    await waitUntilReady(managed, () => client.send(new ListStreamsCommand({})), options.timeoutMs ?? 60_000);
  } finally {
    client.destroy();
  }
  return { endpoint, process: managed };
}
