import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WindowResult } from '../../core';
import { readStoredValue, type StoredAlert } from '../../lambdas/processor/index';
import { decodeStateAttribute, STATE_ATTR, STATE_SORT_KEY } from '../../lambdas/state/index';

/** A state write that landed: what it finalized and fired (the `r` and `a` of the stored value). */
export interface LandedStateWrite {
  key: string;
  results: WindowResult[];
  alerts: StoredAlert[];
}

/**
 * Wrap a DynamoDB client so every state PutItem that lands on `stateTable` is reported with the results and alerts it
 * carries: the same information the emitter reads from the table's DynamoDB stream (NEW image), without a stream
 * poller. The live view shows the latest alerts from it. Calls pass through unchanged.
 */
export function tapStateWrites(
  client: Pick<DynamoDBClient, 'send'>,
  stateTable: string,
  onWrite: (write: LandedStateWrite) => void,
): Pick<DynamoDBClient, 'send'> {
  const send = async (command: { input?: unknown }, ...rest: unknown[]) => {
    const out = await (client.send as (...args: unknown[]) => Promise<unknown>)(command, ...rest);
    const input = command.input as
      | { TableName?: string; Item?: Record<string, { S?: string }>; ConditionExpression?: string }
      | undefined;
    const item = input?.Item;
    if (
      command.constructor.name === 'PutItemCommand' &&
      input?.TableName === stateTable &&
      item?.[STATE_ATTR.sk]?.S === STATE_SORT_KEY
    ) {
      const key = item[STATE_ATTR.pk]?.S ?? '';
      const text = decodeStateAttribute(item[STATE_ATTR.state]);
      if (text) {
        const stored = readStoredValue(key, JSON.parse(text));
        onWrite({ key, results: stored.r ?? [], alerts: stored.a ?? [] });
      }
    }
    return out;
  };
  return { send } as unknown as Pick<DynamoDBClient, 'send'>;
}
