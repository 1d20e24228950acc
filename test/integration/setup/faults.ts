import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

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
