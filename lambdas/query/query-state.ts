import { type AttributeValue, type DynamoDBClient, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { layoutOf, openResults, type Pipeline, stateUnder, type WindowResult } from '../../core';
import { loadIdKey } from '../emitter/id-key';
import { fromResultItem, resultSortKey } from '../emitter/result-items';
import { readStoredValue } from '../processor/stored-state';
import { resultId } from '../sinks/messages';
import { decodeStateAttribute } from '../state/codec';
import { LayoutRegistry, UnknownLayoutError } from '../state/layout-registry';
import { STATE_ATTR, STATE_SORT_KEY, TTL_ATTRIBUTE } from '../state/tables';
import { InvalidQueryRangeError, UnknownWindowError } from './errors';

/** A window's value as a query returns it. */
export interface QueriedWindow extends WindowResult {
  /** The window's result id (the id its final result carries in every sink). */
  readonly id: string;
  /**
   * 'open': still taking events; 'closed': closed for this key, waiting for the pipeline watermark (values can still
   * change only by records of other sources); 'final': emitted, never changes.
   */
  readonly status: 'open' | 'closed' | 'final';
}

/** What {@link queryState} takes. */
export interface StateQuery {
  readonly pipeline: Pipeline;
  readonly client: Pick<DynamoDBClient, 'send'>;
  /** The state table. */
  readonly tableName: string;
  /** Window name. */
  readonly window: string;
  /** Aggregation key. */
  readonly key: string;
  /** Windows starting at or after this time (epoch ms). @default - no lower bound */
  readonly from?: number;
  /** Windows starting before this time (epoch ms). @default - no upper bound */
  readonly to?: number;
  /** Clock, to leave out items whose TTL passed but DynamoDB has not deleted yet. @default Date.now */
  readonly now?: () => number;
  /**
   * The state table's layout registry: a state written under another definition is read by name through it.
   * @default - one for this query
   */
  readonly layouts?: LayoutRegistry;
  /** The pipeline's id key (for the result ids). @default - read from the state table once (see loadIdKey) */
  readonly idKey?: Uint8Array;
}

/** Result of {@link queryState}, each list sorted by window start. */
export interface StateQueryResult {
  readonly key: string;
  readonly window: string;
  /** Open and closed-not-final windows, from the key's state item. */
  readonly open: QueriedWindow[];
  /** Final results: persisted by the emitter, plus those finalized by the latest state write. */
  readonly final: QueriedWindow[];
}

/**
 * Interactive query of one key's windows (like Kafka Streams' interactive queries): the current values of its open
 * windows (the state item, consistent read) and its final results (the result items the emitter persists when
 * `persistResults` is on, consistent Query by sort-key range; else only those of the latest state write). For a serving Lambda, an API, or `streamfold state`.
 *
 * @example await queryState({ pipeline, client, tableName: 'clickstream-state', window: 'perMinute', key: 'u123' })
 */
export async function queryState(query: StateQuery): Promise<StateQueryResult> {
  const { pipeline, window, key } = query;
  const known = pipeline.windows.map((w) => w.name);
  if (!known.includes(window)) throw new UnknownWindowError(window, known);
  const from = query.from ?? 0;
  const to = query.to ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to)
    throw new InvalidQueryRangeError(query.from, query.to);
  const now = (query.now ?? Date.now)();
  const inRange = (r: WindowResult) => r.window === window && r.start >= from && r.start < to;
  const live = (item: Record<string, AttributeValue>) => {
    const ttl = item[TTL_ATTRIBUTE]?.N;
    return ttl === undefined || Number(ttl) * 1000 > now;
  };
  const [idKey, stateOut, finals] = await Promise.all([
    query.idKey ?? loadIdKey({ client: query.client, tableName: query.tableName }),
    query.client.send(
      new GetItemCommand({
        TableName: query.tableName,
        Key: { [STATE_ATTR.pk]: { S: key }, [STATE_ATTR.sk]: { S: STATE_SORT_KEY } },
        ConsistentRead: true,
      }),
    ),
    persistedResults(query, from, to, live),
  ]);
  const withId = (r: WindowResult, status: QueriedWindow['status']): QueriedWindow => ({
    ...r,
    id: resultId(idKey, pipeline.name, r.window, r.key, r.start),
    status,
  });
  const open: QueriedWindow[] = [];
  const final = new Map<number, QueriedWindow>();
  for (const r of finals) if (inRange(r)) final.set(r.start, withId(r, 'final'));
  const item = stateOut.Item;
  const text = decodeStateAttribute(item?.[STATE_ATTR.state]);
  if (item && text !== undefined && live(item)) {
    const stored = readStoredValue(key, JSON.parse(text));
    const layout = layoutOf(pipeline);
    const layouts = query.layouts ?? new LayoutRegistry({ client: query.client, tableName: query.tableName });
    let read = stateUnder(layout, stored.k, layouts.lookup);
    if ('missing' in read) {
      await layouts.fetch([read.missing]);
      read = stateUnder(layout, stored.k, layouts.lookup);
    }
    if ('missing' in read) throw new UnknownLayoutError(read.missing, query.tableName);
    for (const r of openResults(layout, key, read.state)) {
      if (inRange(r)) {
        const { closed, ...result } = r;
        open.push(withId(result, closed ? 'closed' : 'open'));
      }
    }
    for (const r of stored.r ?? []) if (inRange(r) && !final.has(r.start)) final.set(r.start, withId(r, 'final'));
  }
  return {
    key,
    window,
    open: open.sort((a, b) => a.start - b.start),
    final: [...final.values()].sort((a, b) => a.start - b.start),
  };
}

async function persistedResults(
  query: StateQuery,
  from: number,
  to: number,
  live: (item: Record<string, AttributeValue>) => boolean,
): Promise<WindowResult[]> {
  const out: WindowResult[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await query.client.send(
      new QueryCommand({
        TableName: query.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': STATE_ATTR.pk, '#sk': STATE_ATTR.sk },
        ExpressionAttributeValues: {
          ':pk': { S: query.key },
          ':from': { S: resultSortKey(query.window, from) },
          ':to': { S: resultSortKey(query.window, to) },
        },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (!live(item)) continue;
      const r = fromResultItem(item);
      if (r) {
        const { id: _id, ttl: _ttl, ...result } = r;
        out.push(result);
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
