import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { sdkClientConfig } from '../../../lambdas/aws-config';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/aws-clients';

type Send = Pick<DynamoDBClient, 'send'>;
type Command = Parameters<DynamoDBClient['send']>[0];

/** Decides per call whether to inject a fault; `n` counts calls of that command name from 1. */
export type FaultRule = (commandName: string, n: number, input: unknown) => Error | undefined;

/** Record of the calls that went through a {@link faultyClient}. */
export interface FaultLog {
  calls: string[];
  injected: { command: string; when: 'before' | 'after'; error: string }[];
}

/**
 * Wrap a real client's `send`: `before` rules throw instead of making the call; `after` rules make the real call and
 * then throw (the write landed, but the caller sees an error: the "unknown outcome" case).
 */
export function faultyClient(real: Send, rules: { before?: FaultRule; after?: FaultRule }): Send & { log: FaultLog } {
  const counts = new Map<string, number>();
  const log: FaultLog = { calls: [], injected: [] };
  const send = (async (command: Command) => {
    const name = command.constructor.name;
    const n = (counts.get(name) ?? 0) + 1;
    counts.set(name, n);
    log.calls.push(name);
    const before = rules.before?.(name, n, command.input);
    if (before) {
      log.injected.push({ command: name, when: 'before', error: before.name });
      throw before;
    }
    const output = await real.send(command as never);
    const after = rules.after?.(name, n, command.input);
    if (after) {
      log.injected.push({ command: name, when: 'after', error: after.name });
      throw after;
    }
    return output;
  }) as Send['send'];
  return { send, log };
}

/** An error shaped like the SDK's (name set), e.g. 'ProvisionedThroughputExceededException' or 'TimeoutError'. */
export function awsError(name: string, message = `injected ${name}`): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** Record of the sends that went through a {@link sdkFaultyDynamo} client. */
export interface SdkFaultLog {
  /** Command name of every send the SDK made, retries included. */
  sends: string[];
  injected: { command: string; when: 'before' | 'after'; error: string }[];
}

/**
 * A real DynamoDB client built as the Lambdas build theirs (`sdkClientConfig()`: the SDK's standard retry strategy),
 * with faults injected *below* that strategy, at the deserialize step: each retry the SDK makes passes through the
 * rules again (`n` counts sends of a command from 1). No engine throttles or times out on demand, so this is the one
 * way to show what the SDK's retry does with such a fault. `before` throws instead of sending; `after` sends and then
 * throws (the write landed, the caller sees an error).
 */
export function sdkFaultyDynamo(
  endpoint: string,
  rules: { before?: FaultRule; after?: FaultRule },
): { client: DynamoDBClient; log: SdkFaultLog } {
  const client = new DynamoDBClient({
    ...sdkClientConfig(),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint,
  });
  const counts = new Map<string, number>();
  const log: SdkFaultLog = { sends: [], injected: [] };
  const inject = (when: 'before' | 'after', name: string, n: number, input: unknown) => {
    const error = rules[when]?.(name, n, input);
    if (!error) return;
    log.injected.push({ command: name, when, error: error.name });
    // As the SDK's deserializer shapes a service error: a 400 with its metadata (the retry strategy reads both).
    throw Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = `${context.commandName ?? 'unknown'}`;
      const n = (counts.get(name) ?? 0) + 1;
      counts.set(name, n);
      log.sends.push(name);
      inject('before', name, n, args.input);
      const result = await next(args);
      inject('after', name, n, args.input);
      return result;
    },
    { step: 'deserialize', name: 'streamfoldTestFaults', priority: 'high' },
  );
  return { client, log };
}
