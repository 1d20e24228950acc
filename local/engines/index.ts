import { startDynamoDbLocal } from './dynamodb';
import { startKinesisMock } from './kinesis';
import type { ManagedProcess } from './process';

export { EngineStartError, JavaMissingError } from './errors';
export { groupMembers } from './process';

/** HTTP endpoints of the engines (the same LocalStack URL for both when external). */
export interface EngineEndpoints {
  kinesis: string;
  dynamodb: string;
}

/** Running engines, from {@link startEngines}. */
export interface Engines {
  endpoints: EngineEndpoints;
  /** Stop the engines this call started and wait until their processes are gone. No-op when external. */
  stop(): Promise<void>;
  /** True when `AWS_ENDPOINT_URL` was set: nothing was started and both endpoints are that URL. */
  external: boolean;
  /** The processes started (the pid is the process-group id of the engine and its children). Empty when external. */
  processes: { name: string; pid: number }[];
}

/** Options for {@link startEngines}. */
export interface StartEnginesOptions {
  /** Start kinesis-mock. @default true */
  kinesis?: boolean;
  /** Start DynamoDB Local. @default true */
  dynamodb?: boolean;
  /** Receives the engines' output lines. @default output is kept (last 40 lines) for error messages only */
  log?: (line: string) => void;
}

/** Endpoint put in place of an engine that was not asked for. Requests to it fail fast (nothing listens on port 9). */
const NOT_STARTED = 'http://127.0.0.1:9';

/**
 * Start kinesis-mock and DynamoDB Local on free loopback ports (in parallel) and wait until both answer; or, when
 * `AWS_ENDPOINT_URL` is set (LocalStack), start nothing and point both endpoints at it.
 * Processes are stopped by `stop()`, and also when this process exits or gets SIGINT/SIGTERM/SIGHUP, and (through a
 * stdin watchdog) when it is killed outright.
 * @throws JavaMissingError when DynamoDB Local is requested and Java 17+ is missing.
 * @throws EngineStartError when an engine exits early or does not answer in time.
 */
export async function startEngines(options: StartEnginesOptions = {}): Promise<Engines> {
  const external = process.env.AWS_ENDPOINT_URL;
  if (external) {
    return {
      endpoints: { kinesis: external, dynamodb: external },
      stop: async () => {},
      external: true,
      processes: [],
    };
  }
  const wantKinesis = options.kinesis ?? true;
  const wantDynamoDb = options.dynamodb ?? true;
  const [kinesis, dynamodb] = await Promise.allSettled([
    wantKinesis ? startKinesisMock({ log: options.log }) : Promise.resolve(undefined),
    wantDynamoDb ? startDynamoDbLocal({ log: options.log }) : Promise.resolve(undefined),
  ]);
  const started: ManagedProcess[] = [];
  for (const result of [kinesis, dynamodb])
    if (result.status === 'fulfilled' && result.value) started.push(result.value.process);
  const stop = async () => {
    await Promise.all(started.map((managed) => managed.stop()));
  };
  if (kinesis.status === 'rejected' || dynamodb.status === 'rejected') {
    await stop();
    throw kinesis.status === 'rejected' ? kinesis.reason : (dynamodb as PromiseRejectedResult).reason;
  }
  return {
    endpoints: { kinesis: kinesis.value?.endpoint ?? NOT_STARTED, dynamodb: dynamodb.value?.endpoint ?? NOT_STARTED },
    stop,
    external: false,
    processes: started.map(({ name, pid }) => ({ name, pid })),
  };
}
