/**
 * The naive baselines of the cost bench, measured on the same events in the same run, through the same metered
 * DynamoDB client (so their units follow the same billing rules as streamfold's):
 * - naive: per valid record, one conditional idempotency PutItem on its dedupe id, then (when the claim holds) one
 *   conditional UpdateItem per window instance it falls in (the "write per event per window" design);
 * - Powertools-style: the naive writes plus Powertools idempotency's two writes per record (an INPROGRESS put and a
 *   COMPLETED update).
 * Both replace only the processor's DynamoDB lines of the bill; everything else (Kinesis, Lambda, emitter, closer,
 * sinks) is taken as streamfold's measured lines, which flatters the baselines (their processor runs longer).
 */
import { type DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import pLimit from 'p-limit';
import { decodeText, layoutOf, type Pipeline, windowStartsFor } from '../core';
import { ensureTable } from '../lambdas/state/index';
import { CostMeter, type ItemSizes, type MeterLine, meteredDynamoDb } from '../local/cost/index';

/** The component name the baselines' processor lines carry. */
export const BASELINE_COMPONENT = 'processor';

/** Metered lines of one baseline over `events` records. */
export interface BaselineLines {
  readonly events: number;
  readonly naive: MeterLine[];
  readonly powertoolsStyle: MeterLine[];
}

const isConditionalFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';
const conditional = <T>(p: Promise<T>) =>
  p.catch((error) => {
    if (!isConditionalFailure(error)) throw error;
    return undefined;
  });

/** Run both baselines over `lines` on fresh tables (unique names) and return their metered lines. */
export async function measureBaselines(
  raw: Pick<DynamoDBClient, 'send'>,
  items: ItemSizes,
  pipeline: Pipeline,
  lines: readonly string[],
): Promise<BaselineLines> {
  const suffix = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const names = { windows: `naive-windows-${suffix}`, ids: `naive-ids-${suffix}`, pt: `powertools-${suffix}` };
  await Promise.all(
    Object.values(names).map((name) =>
      ensureTable(raw, {
        TableName: name,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    ),
  );
  for (const name of Object.values(names)) items.fresh(name);
  const naiveMeter = new CostMeter();
  const ptMeter = new CostMeter();
  const classify = (table: string) =>
    table === names.windows
      ? 'naive: window items'
      : table === names.ids
        ? 'naive: idempotency items'
        : 'Powertools: records';
  const naive = meteredDynamoDb({ meter: naiveMeter, component: BASELINE_COMPONENT, client: raw, items, classify });
  const powertools = meteredDynamoDb({ meter: ptMeter, component: BASELINE_COMPONENT, client: raw, items, classify });
  const layout = layoutOf(pipeline);
  const limit = pLimit(16);
  // One key's records in order (as a shard delivers them), keys in parallel: the window writes' sequence condition
  // then fails only on a true replay, as in the naive design.
  const byKey = new Map<string, { line: string; seq: number }[]>();
  lines.forEach((line, seq) => {
    const d = decodeText(pipeline, line);
    const key = d.ok ? d.key : `invalid#${seq}`;
    let list = byKey.get(key);
    if (!list) byKey.set(key, (list = []));
    list.push({ line, seq });
  });
  await Promise.all(
    [...byKey.values()].map((records) =>
      limit(async () => {
        for (const { line, seq } of records) await naiveRecord(line, seq);
      }),
    ),
  );
  async function naiveRecord(line: string, seq: number): Promise<void> {
    const d = decodeText(pipeline, line);
    if (!d.ok) return;
    const now = Math.floor(Date.now() / 1000);
    await conditional(
      powertools.send(
        new PutItemCommand({
          TableName: names.pt,
          Item: { pk: { S: `rec#${seq}` }, status: { S: 'INPROGRESS' }, expiration: { N: String(now + 3600) } },
          ConditionExpression: 'attribute_not_exists(pk) OR expiration < :now',
          ExpressionAttributeValues: { ':now': { N: String(now) } },
        }),
      ),
    );
    const claimed = d.id
      ? await conditional(
          naive.send(
            new PutItemCommand({
              TableName: names.ids,
              Item: { pk: { S: d.id }, seq: { N: String(seq) } },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        )
      : true;
    if (claimed) {
      const instances: string[] = [];
      for (const w of layout.timedWindows)
        for (const start of windowStartsFor(w, d.time)) instances.push(`${w.name}@${start}`);
      for (const w of layout.sessionWindows) instances.push(`${w.name}@${Math.floor(d.time / w.gapMs)}`);
      for (const instance of instances) {
        await conditional(
          naive.send(
            new UpdateItemCommand({
              TableName: names.windows,
              Key: { pk: { S: `${d.key}#${instance}` } },
              UpdateExpression: 'ADD #c :one SET #s = :seq',
              ConditionExpression: 'attribute_not_exists(#s) OR #s < :seq',
              ExpressionAttributeNames: { '#c': 'count', '#s': 'seq' },
              ExpressionAttributeValues: { ':one': { N: '1' }, ':seq': { N: String(seq) } },
              ReturnValues: 'ALL_NEW',
            }),
          ),
        );
      }
    }
    await powertools.send(
      new UpdateItemCommand({
        TableName: names.pt,
        Key: { pk: { S: `rec#${seq}` } },
        UpdateExpression: 'SET #st = :done, #d = :data',
        ExpressionAttributeNames: { '#st': 'status', '#d': 'data' },
        ExpressionAttributeValues: { ':done': { S: 'COMPLETED' }, ':data': { S: '{"batchItemFailures":[]}' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
  }
  const naiveLines = naiveMeter.lines();
  return { events: lines.length, naive: naiveLines, powertoolsStyle: [...naiveLines, ...ptMeter.lines()] };
}

/** Lines scaled by `factor` (a sample's counters to the run's event count). */
export function scaleLines(lines: readonly MeterLine[], factor: number): MeterLine[] {
  return lines.map((l) => ({
    ...l,
    counters: Object.fromEntries(Object.entries(l.counters).map(([k, v]) => [k, v * factor])),
  }));
}

/** A run's lines with the processor's DynamoDB lines replaced by `replacement`. */
export function replaceProcessorDynamoDb(lines: readonly MeterLine[], replacement: readonly MeterLine[]): MeterLine[] {
  return [...lines.filter((l) => !(l.component === BASELINE_COMPONENT && l.service === 'dynamodb')), ...replacement];
}
