// A hostile producer cannot silence its own alert (issue 11, point 1): a bot sends an event whose dedupe id equals the
// delivery-marker key of its own `potential-bot` alert (and of its minute's final result), through the real processor
// (dedupe on: the id is claimed in the dedupe table) and the real emitter, on DynamoDB Local. The alert and the result
// are still delivered, with the first build's marker keys (plain hashes anyone can compute) and with today's (keyed
// ids under a `#delivered#` prefix: a bot cannot compute them, but even one that knew the key gets nowhere).
import { createHash } from 'node:crypto';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createEmitterHandler, loadIdKey, markerKey } from '../../lambdas/emitter/index';
import { alertId, resultId } from '../../lambdas/sinks/index';
import { makeClients } from '../../local/aws-clients';
import { clickstream } from '../../pipelines/clickstream';
import { deliverStream, emissionTables, processLines, recordingSink, streamReader } from './emitter-helpers';
import { lambdaContext, silentLogger } from './processor-helpers';

const endpoints = inject('engineEndpoints');
const clients = makeClients(endpoints);
afterAll(() => clients.destroy());

const BOT = 'tbot';
const minute = Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000;
/** The ids of the first build: an unkeyed hash anyone can compute. */
const plainId = (parts: readonly (string | number)[]) =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);

/** 110 clicks of the bot in one minute (the rule fires above 100), the trick events among the first ones. */
function botLines(trickIds: readonly string[]): string[] {
  const event = (id: string, i: number) =>
    JSON.stringify({ eventId: id, userId: BOT, type: 'click', ts: new Date(minute + i * 500).toISOString() });
  const lines = trickIds.map((id, i) => event(id, i));
  for (let i = lines.length; i < 110; i++) lines.push(event(`bot-${i}`, i));
  // Another user 12 minutes later moves stream time past the bot minute's end + grace, and the bot's next event then
  // finalizes its minute (with the aggregation key as partition key, a key's windows become final at its own records'
  // stream time; the closer would do it otherwise).
  lines.push(
    JSON.stringify({ eventId: 'late-1', userId: 'u1', type: 'view', ts: new Date(minute + 12 * 60_000).toISOString() }),
    event('bot-next', 12 * 120),
  );
  return lines;
}

async function runTrick(trickIds: (sinks: { alerts: string; results: string }, idKey: Uint8Array) => string[]) {
  const tables = await emissionTables(clients.dynamodb, 'trick');
  const idKey = await loadIdKey({ client: clients.dynamodb, tableName: tables.stateTable });
  const alerts = recordingSink('alerts', ['alert']);
  const results = recordingSink('results', ['result']);
  await processLines(
    clickstream,
    clients.dynamodb,
    tables,
    botLines(trickIds({ alerts: 'alerts', results: 'results' }, idKey)),
    {
      batchSize: 200,
    },
  );
  const records: DynamoDBRecord[] = await (
    await streamReader(clients.dynamodb, endpoints.dynamodb, tables.stateTable)
  ).next();
  const handler = createEmitterHandler(clickstream, {
    dynamodb: clients.dynamodb,
    ...tables,
    sinks: [alerts.sink, results.sink],
    logger: silentLogger(),
  });
  await deliverStream(records, async (batch) => (await handler({ Records: batch }, lambdaContext())) as never);
  return { alerts, results, idKey };
}

describe('the marker trick', () => {
  it('first-build marker keys (#emit#<sink>#<plain hash>) as dedupe ids silence nothing', async () => {
    const { alerts, results } = await runTrick((sinks) => [
      `#emit#${sinks.alerts}#${plainId(['clickstream', 'alert', 'potential-bot', 'perMinute', BOT, minute])}`,
      `#emit#${sinks.results}#${plainId(['clickstream', 'result', 'perMinute', BOT, minute])}`,
    ]);
    expect(alerts.received.map((a) => [a.kind, a.key, a.start])).toEqual([['alert', BOT, minute]]);
    const botMinute = results.received.filter((r) => r.key === BOT && r.window === 'perMinute' && r.start === minute);
    expect(botMinute).toHaveLength(1);
    expect(botMinute[0]!.values.events).toBe(110);
  });

  it('today’s marker keys (#delivered#<sink>#<keyed id>) as dedupe ids silence nothing either', async () => {
    const { alerts, results, idKey } = await runTrick((sinks, key) => [
      markerKey(sinks.alerts, alertId(key, 'clickstream', 'potential-bot', 'perMinute', BOT, minute)),
      markerKey(sinks.results, resultId(key, 'clickstream', 'perMinute', BOT, minute)),
    ]);
    const id = alertId(idKey, 'clickstream', 'potential-bot', 'perMinute', BOT, minute);
    expect(alerts.received.map((a) => [a.id, a.key, a.start])).toEqual([[id, BOT, minute]]);
    const botMinute = results.received.filter((r) => r.key === BOT && r.window === 'perMinute' && r.start === minute);
    expect(botMinute.map((r) => [r.id, r.values.events])).toEqual([
      [resultId(idKey, 'clickstream', 'perMinute', BOT, minute), 110],
    ]);
  });
});
