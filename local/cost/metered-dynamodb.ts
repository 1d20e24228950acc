import {
  type AttributeValue,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { itemSize } from '../../lambdas/state/item-size';
import {
  failedWriteUnits,
  itemReadUnits,
  queryReadUnits,
  transactionalReadUnits,
  transactionalWriteUnits,
  writeUnits,
} from './dynamodb-units';
import type { CostMeter } from './meter';

type Item = Record<string, AttributeValue>;
type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;
type Command = { readonly constructor: { readonly name: string }; readonly input?: unknown };

/** Names an item for the meter's `detail` (e.g. `state table: state items`), from its table and key attributes. */
export type ItemClassifier = (table: string, key: Item) => string;

/**
 * The size of every item of the metered tables, as the meter last saw it written (DynamoDB bills a write by the larger
 * of the old and new item, and a read by the whole item whatever its projection). Shared by every metered client of
 * a run. A key it has not seen written is read once, unmetered, from the table — unless the table was declared fresh
 * (created empty for the run), where an unseen key is known not to exist.
 */
export class ItemSizes {
  readonly #raw: Pick<DynamoDBClient, 'send'>;
  readonly #fresh = new Set<string>();
  readonly #keys = new Map<string, Promise<string[]>>();
  readonly #sizes = new Map<string, Map<string, number | undefined>>();

  /** `raw`: an unmetered client of the same tables (key schemas, and reads of unseen keys). */
  constructor(raw: Pick<DynamoDBClient, 'send'>, options: { freshTables?: readonly string[] } = {}) {
    this.#raw = raw;
    for (const table of options.freshTables ?? []) this.#fresh.add(table);
  }

  /** Declare a table empty at this point (no key needs reading back). */
  fresh(table: string): void {
    this.#fresh.add(table);
  }

  /** The key attribute names of a table (DescribeTable, once). */
  keyNames(table: string): Promise<string[]> {
    let names = this.#keys.get(table);
    if (!names) {
      names = (this.#raw.send as unknown as Send)(new DescribeTableCommand({ TableName: table })).then((out) =>
        ((out as { Table?: { KeySchema?: KeySchemaElement[] } }).Table?.KeySchema ?? []).map(
          (k) => k.AttributeName ?? '',
        ),
      );
      names.catch(() => this.#keys.delete(table));
      this.#keys.set(table, names);
    }
    return names;
  }

  /** The key attributes of an item (or of a key). */
  async keyOf(table: string, item: Item): Promise<Item> {
    const key: Item = {};
    for (const name of await this.keyNames(table)) if (item[name] !== undefined) key[name] = item[name];
    return key;
  }

  /** The size of the item with this key now (undefined: no item). */
  async size(table: string, key: Item): Promise<number | undefined> {
    const sizes = this.#table(table);
    const id = keyId(key);
    if (sizes.has(id)) return sizes.get(id);
    if (this.#fresh.has(table)) return undefined;
    const out = (await (this.#raw.send as unknown as Send)(
      new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
    )) as { Item?: Item };
    const size = out.Item ? itemSize(out.Item) : undefined;
    if (!sizes.has(id)) sizes.set(id, size);
    return sizes.get(id);
  }

  /** Record the item's size after a write (undefined: deleted). */
  set(table: string, key: Item, size: number | undefined): void {
    this.#table(table).set(keyId(key), size);
  }

  /** Items and bytes of a table as the meter knows them (storage). */
  stored(table: string): { items: number; bytes: number } {
    let items = 0;
    let bytes = 0;
    for (const size of this.#table(table).values()) {
      if (size === undefined) continue;
      items++;
      bytes += size;
    }
    return { items, bytes };
  }

  #table(table: string): Map<string, number | undefined> {
    let sizes = this.#sizes.get(table);
    if (!sizes) {
      sizes = new Map();
      this.#sizes.set(table, sizes);
    }
    return sizes;
  }
}

/** A stable text of a key (attribute names sorted). */
function keyId(key: Item): string {
  return JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => [name, key[name]?.S ?? key[name]?.N ?? Buffer.from(key[name]?.B ?? []).toString('base64')]),
  );
}

const isConditionalFailure = (error: unknown) =>
  (error as Error | undefined)?.name === 'ConditionalCheckFailedException';

/** Options of {@link meteredDynamoDb}. */
export interface MeteredDynamoDbOptions {
  readonly meter: CostMeter;
  /** Who makes the calls (processor, emitter, closer, query...). */
  readonly component: string;
  /** The client the calls go to. */
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** Item sizes shared by every metered client of the run. */
  readonly items: ItemSizes;
  /** @default the table name */
  readonly classify?: ItemClassifier;
}

/** What the metering steps share: the unmetered client, the item sizes, and the meter's counter of a table. */
interface Metering {
  inner: Send;
  items: ItemSizes;
  add(table: string, key: Item, counts: Record<string, number>): void;
}

async function writeOne(m: Metering, name: string, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  const table = input.TableName as string;
  const key = await m.items.keyOf(table, (name === 'PutItemCommand' ? input.Item : input.Key) as Item);
  const before = await m.items.size(table, key);
  let out: unknown;
  try {
    out = await m.inner(command, ...rest);
  } catch (error) {
    if (isConditionalFailure(error)) {
      const current = (error as { Item?: Item }).Item;
      const existing = current ? itemSize(current) : before;
      if (current) m.items.set(table, key, existing);
      m.add(table, key, { requests: 1, writeUnits: failedWriteUnits(existing), conditionalFailures: 1 });
    }
    throw error; // throttles and service errors are not charged
  }
  let after: number | undefined;
  if (name === 'PutItemCommand') after = itemSize(input.Item as Item);
  else if (name === 'UpdateItemCommand') {
    const returned = out as { Attributes?: Item };
    after =
      input.ReturnValues === 'ALL_NEW' && returned.Attributes
        ? itemSize(returned.Attributes)
        : await readBack(m, table, key);
  }
  m.items.set(table, key, after);
  m.add(table, key, { requests: 1, writeUnits: writeUnits(before, after), items: 1 });
  return out;
}

/** The item as it is now (unmetered: only to learn the size an update left). */
async function readBack(m: Metering, table: string, key: Item): Promise<number | undefined> {
  const out = (await m.inner(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))) as {
    Item?: Item;
  };
  return out.Item ? itemSize(out.Item) : undefined;
}

/**
 * TransactWriteItems: each item at twice a standard write (ConditionCheck too, at the item's size). A cancelled
 * transaction is charged as if it ran (AWS charges the units of the items it read to check), with one
 * conditional failure.
 */
async function transactWrite(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  type Op = { TableName: string; Item?: Item; Key?: Item };
  type Entry = { Put?: Op; Update?: Op; Delete?: Op; ConditionCheck?: Op };
  const planned: { table: string; key: Item; before: number | undefined; op: keyof Entry; item?: Item }[] = [];
  for (const entry of (input.TransactItems ?? []) as Entry[]) {
    const op = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).find((name) => entry[name]);
    if (!op) continue;
    const target = entry[op]!;
    const key = await m.items.keyOf(target.TableName, (target.Item ?? target.Key ?? {}) as Item);
    planned.push({
      table: target.TableName,
      key,
      before: await m.items.size(target.TableName, key),
      op,
      item: target.Item,
    });
  }
  let cancelled: unknown;
  let out: unknown;
  try {
    out = await m.inner(command, ...rest);
  } catch (error) {
    if ((error as Error).name !== 'TransactionCanceledException') throw error;
    cancelled = error;
  }
  let first = true;
  for (const p of planned) {
    let after = p.before;
    if (!cancelled) {
      if (p.op === 'Put') after = itemSize(p.item!);
      else if (p.op === 'Delete') after = undefined;
      else if (p.op === 'Update') after = await readBack(m, p.table, p.key);
      m.items.set(p.table, p.key, after);
    }
    m.add(p.table, p.key, {
      ...(first ? { requests: 1 } : {}),
      ...(first && cancelled ? { conditionalFailures: 1 } : {}),
      writeUnits: transactionalWriteUnits(p.before, cancelled ? undefined : after),
      items: 1,
    });
    first = false;
  }
  if (cancelled) throw cancelled;
  return out;
}

/** TransactGetItems: each item at twice a strongly consistent read (a missing key at the minimum). */
async function transactGet(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  type Entry = { Get?: { TableName: string; Key: Item } };
  const out = (await m.inner(command, ...rest)) as { Responses?: { Item?: Item }[] };
  let first = true;
  for (const [i, entry] of ((input.TransactItems ?? []) as Entry[]).entries()) {
    if (!entry.Get) continue;
    const table = entry.Get.TableName;
    const key = await m.items.keyOf(table, entry.Get.Key);
    const found = out.Responses?.[i]?.Item;
    m.add(table, key, {
      ...(first ? { requests: 1 } : {}),
      readUnits: transactionalReadUnits(found ? itemSize(found) : undefined),
      items: 1,
      ...(found ? {} : { missingReads: 1 }),
    });
    first = false;
  }
  return out;
}

async function batchWrite(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  type Request = { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } };
  const requested = (input.RequestItems ?? {}) as Record<string, Request[]>;
  const planned: { table: string; key: Item; id: string; before: number | undefined; after: number | undefined }[] = [];
  for (const [table, requests] of Object.entries(requested)) {
    for (const r of requests) {
      const key = await m.items.keyOf(table, (r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}) as Item);
      planned.push({
        table,
        key,
        id: `${table}\u0000${keyId(key)}`,
        before: await m.items.size(table, key),
        after: r.PutRequest ? itemSize(r.PutRequest.Item) : undefined,
      });
    }
  }
  const out = (await m.inner(command, ...rest)) as { UnprocessedItems?: Record<string, Request[]> };
  const unprocessed = new Set<string>();
  for (const [table, requests] of Object.entries(out.UnprocessedItems ?? {})) {
    for (const r of requests) {
      const key = await m.items.keyOf(table, (r.PutRequest?.Item ?? r.DeleteRequest?.Key ?? {}) as Item);
      unprocessed.add(`${table}\u0000${keyId(key)}`);
    }
  }
  for (const p of planned) {
    if (unprocessed.has(p.id)) continue;
    m.items.set(p.table, p.key, p.after);
    m.add(p.table, p.key, { writeUnits: writeUnits(p.before, p.after), items: 1 });
  }
  const first = planned[0];
  if (first) m.add(first.table, first.key, { requests: 1 });
  return out;
}

async function getOne(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  const table = input.TableName as string;
  const out = (await m.inner(command, ...rest)) as { Item?: Item };
  const key = await m.items.keyOf(table, input.Key as Item);
  const size = out.Item ? ((await m.items.size(table, key)) ?? itemSize(out.Item)) : undefined;
  m.add(table, key, {
    requests: 1,
    readUnits: itemReadUnits(size, input.ConsistentRead === true),
    items: 1,
    ...(out.Item ? {} : { missingReads: 1 }),
  });
  return out;
}

async function batchGet(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  type Request = { Keys: Item[]; ConsistentRead?: boolean };
  const requested = (input.RequestItems ?? {}) as Record<string, Request>;
  const out = (await m.inner(command, ...rest)) as {
    Responses?: Record<string, Item[]>;
    UnprocessedKeys?: Record<string, Request>;
  };
  let first = true;
  for (const [table, request] of Object.entries(requested)) {
    const found = new Map<string, Item>();
    for (const item of out.Responses?.[table] ?? []) found.set(keyId(await m.items.keyOf(table, item)), item);
    const unprocessed = new Set<string>();
    for (const key of out.UnprocessedKeys?.[table]?.Keys ?? []) unprocessed.add(keyId(await m.items.keyOf(table, key)));
    for (const raw of request.Keys) {
      const key = await m.items.keyOf(table, raw);
      const id = keyId(key);
      if (unprocessed.has(id)) continue;
      const item = found.get(id);
      const size = item ? ((await m.items.size(table, key)) ?? itemSize(item)) : undefined;
      m.add(table, key, {
        ...(first ? { requests: 1 } : {}),
        readUnits: itemReadUnits(size, request.ConsistentRead === true),
        items: 1,
        ...(item ? {} : { missingReads: 1 }),
      });
      first = false;
    }
  }
  return out;
}

async function queryOrScan(m: Metering, input: Record<string, unknown>, command: Command, rest: unknown[]) {
  const table = input.TableName as string;
  const out = (await m.inner(command, ...rest)) as { Items?: Item[]; Count?: number; ScannedCount?: number };
  let bytes = 0;
  for (const item of out.Items ?? []) {
    const key = await m.items.keyOf(table, item);
    bytes += (await m.items.size(table, key)) ?? itemSize(item);
  }
  // Items a filter dropped were read (and billed) too: count them at the average size of those returned.
  const returned = out.Items?.length ?? 0;
  const scanned = out.ScannedCount ?? returned;
  if (scanned > returned)
    bytes += returned > 0 ? ((scanned - returned) * bytes) / returned : (scanned - returned) * 100;
  const values = (input.ExpressionAttributeValues ?? {}) as Item;
  const pk = values[':pk'];
  m.add(table, pk ? { pk } : {}, {
    requests: 1,
    readUnits: queryReadUnits(bytes, input.ConsistentRead === true),
    items: scanned,
  });
  return out;
}

/**
 * A DynamoDB client that meters every request as AWS bills it (./dynamodb-units.ts): writes by the larger of the old
 * and new item (conditional-check failures included, at the existing item's size), reads by item size and consistency
 * (a missing key costs the minimum), Query by the bytes of the items read. Calls and their answers pass through
 * unchanged (the callers' own `ConsumedCapacity` figures are DynamoDB Local's). Control-plane calls are free and only
 * passed through; a data call the meter does not know is counted under `unmetered` so a run can assert there is none.
 */
export function meteredDynamoDb(options: MeteredDynamoDbOptions): Pick<DynamoDBClient, 'send'> {
  const { meter, component, items } = options;
  const inner = options.client.send.bind(options.client) as unknown as Send;
  const classify = options.classify ?? ((table: string) => table);
  const add = (table: string, key: Item, counts: Record<string, number>) =>
    meter.add(component, 'dynamodb', classify(table, key), counts);
  const m: Metering = { inner, items, add };

  const send = async (command: Command, ...rest: unknown[]): Promise<unknown> => {
    const name = command.constructor.name;
    const input = (command.input ?? {}) as Record<string, unknown>;
    switch (name) {
      case 'PutItemCommand':
      case 'DeleteItemCommand':
      case 'UpdateItemCommand':
        return writeOne(m, name, input, command, rest);
      case 'BatchWriteItemCommand':
        return batchWrite(m, input, command, rest);
      case 'GetItemCommand':
        return getOne(m, input, command, rest);
      case 'BatchGetItemCommand':
        return batchGet(m, input, command, rest);
      case 'QueryCommand':
      case 'ScanCommand':
        return queryOrScan(m, input, command, rest);
      case 'TransactWriteItemsCommand':
        return transactWrite(m, input, command, rest);
      case 'TransactGetItemsCommand':
        return transactGet(m, input, command, rest);
      case 'ExecuteStatementCommand':
      case 'BatchExecuteStatementCommand':
      case 'ExecuteTransactionCommand':
        meter.add(component, 'dynamodb', `unmetered ${name}`, { requests: 1 });
        return inner(command, ...rest);
      default:
        return inner(command, ...rest); // control plane (CreateTable, DescribeTable, UpdateTimeToLive...): free
    }
  };

  return { send } as unknown as Pick<DynamoDBClient, 'send'>;
}
