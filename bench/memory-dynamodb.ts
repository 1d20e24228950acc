/**
 * An in-memory stand-in for the DynamoDB client, for timing the processor's own CPU per event (issue 16: "the engine
 * bench must time the handler path"): the handler's requests are answered from a Map, so neither the SDK's
 * serialization nor a network round trip is in the figure. It is a measuring tool, never a test double: it keeps
 * items and answers reads, but checks no condition and applies no update expression (one writer, fresh items), so it
 * says nothing about correctness. Tests use DynamoDB Local.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { STATE_ATTR } from '../lambdas/state/index';

type Item = Record<string, AttributeValue>;

interface KeyedInput {
  readonly TableName?: string;
  readonly Key?: Item;
  readonly Item?: Item;
  readonly RequestItems?: Record<string, { Keys?: Item[] } | { PutRequest?: { Item?: Item } }[]>;
}

/** DynamoDB requests answered from memory: GetItem, BatchGetItem and PutItem keep and read items; others succeed. */
export class MemoryDynamoDB {
  readonly #items = new Map<string, Item>();
  /** Requests by command name (to check the path sent what the real one sends). */
  readonly requests = new Map<string, number>();

  readonly client = {
    send: async (command: { constructor: { name: string }; input: KeyedInput }) => {
      const name = command.constructor.name;
      this.requests.set(name, (this.requests.get(name) ?? 0) + 1);
      const input = command.input;
      switch (name) {
        case 'GetItemCommand':
          return { Item: this.#items.get(this.#id(input.TableName, input.Key)), $metadata: {} };
        case 'BatchGetItemCommand':
          return { Responses: this.#batchGet(input), UnprocessedKeys: {}, $metadata: {} };
        case 'PutItemCommand':
          this.#items.set(this.#id(input.TableName, input.Item), input.Item!);
          return { $metadata: {} };
        case 'QueryCommand':
          return { Items: [], Count: 0, $metadata: {} };
        case 'BatchWriteItemCommand':
          return { UnprocessedItems: {}, $metadata: {} };
        default:
          return { $metadata: {} };
      }
    },
  } as unknown as Pick<DynamoDBClient, 'send'>;

  #batchGet(input: KeyedInput): Record<string, Item[]> {
    const responses: Record<string, Item[]> = {};
    for (const [table, request] of Object.entries(input.RequestItems ?? {})) {
      const keys = (request as { Keys?: Item[] }).Keys ?? [];
      responses[table] = keys.flatMap((key) => {
        const item = this.#items.get(this.#id(table, key));
        return item ? [item] : [];
      });
    }
    return responses;
  }

  #id(table: string | undefined, key: Item | undefined): string {
    return `${table}\u0000${key?.[STATE_ATTR.pk]?.S ?? ''}\u0000${key?.[STATE_ATTR.sk]?.S ?? ''}`;
  }
}
