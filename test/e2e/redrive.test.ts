// Issue 10, point 10: `streamfold redrive` end to end on the local runtime. One user's state writes keep throttling
// (injected: no engine throttles) while the rest of the traffic flows, so the local event source mapping bisects,
// retries and finally discards ranges after partial progress (other keys of those ranges committed). The CLI then
// re-drives the failure records from the running dev: every record must end counted exactly once, as replay()
// counts the whole input; a second re-drive changes nothing.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli/index';
import { replay, type WindowResult } from '../../core';
import { makeClients } from '../../local/aws-clients';
import { type Engines, startEngines } from '../../local/engines/index';
import { generate } from '../../local/generator/index';
import { type DevRuntime, driveLines, startDevRuntime } from '../../local/runtime/index';
import { clickstream } from '../../pipelines/clickstream';
import { awsError, tableResults } from '../integration/processor-helpers';

const dir = mkdtempSync(join(tmpdir(), 'streamfold-redrive-'));
const lines = [
  ...generate({
    seed: 77,
    events: 300,
    users: 40,
    bots: 0,
    targetBytes: 0,
    startTime: new Date(Math.floor((Date.now() - 2 * 3_600_000) / 60_000) * 60_000),
    eventsPerSecond: 20,
    lateShare: 0,
    duplicateShare: 0.02,
    malformedShare: 0.01,
  }),
].map((item) => item.line);
const userOf = (line: string) => {
  try {
    return String(JSON.parse(line).userId);
  } catch {
    return undefined;
  }
};
// The victim: the user with the most events (its records are spread over every batch).
const counts = new Map<string, number>();
for (const line of lines) {
  const user = userOf(line);
  if (user) counts.set(user, (counts.get(user) ?? 0) + 1);
}
const victim = [...counts].sort((a, b) => b[1] - a[1])[0]![0];

let engines: Engines;
let runtime: DevRuntime;
const finalized: WindowResult[] = [];
let throttling = true;

/** The real DynamoDB client, except that the victim's state writes throttle while `throttling` is on. */
function throttled(real: Pick<DynamoDBClient, 'send'>): Pick<DynamoDBClient, 'send'> {
  return {
    send: (async (command: { constructor: { name: string }; input: any }) => {
      const item = command.input?.Item;
      if (throttling && command.constructor.name === 'PutItemCommand' && item?.sk?.S === 'state') {
        if (item.pk?.S === victim) throw awsError('ProvisionedThroughputExceededException');
      }
      return real.send(command as never);
    }) as never,
  };
}

const cli = async (...args: string[]) => {
  let out = '';
  const code = await main(['node', 'streamfold', ...args], {
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      out += t;
    },
    cwd: process.cwd(),
  });
  return { code, out };
};

beforeAll(async () => {
  engines = await startEngines();
  const clients = makeClients(engines.endpoints);
  runtime = await startDevRuntime({
    pipeline: clickstream,
    dir,
    shards: 1,
    endpoints: engines.endpoints,
    warehouse: false,
    mapping: {
      batchSize: 50,
      pollIntervalMs: 100,
      maximumBatchingWindowMs: 100,
      maximumRetryAttempts: 2,
      bisectBatchOnFunctionError: true,
    },
    processor: { dynamodb: throttled(clients.dynamodb), storeOptions: { backoff: { baseDelayMs: 1, maxDelayMs: 4 } } },
    onStateWrite: (write) => finalized.push(...write.results),
  });
  const producer = runtime.producer({ maxInFlight: 1 });
  expect(await driveLines({ producer, lines })).toBe(lines.length);
  await runtime.drain(180_000);
  throttling = false;
}, 300_000);

afterAll(async () => {
  await runtime?.stop();
  await engines?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('streamfold redrive on the local runtime', () => {
  it('re-drives ranges discarded after partial progress: every record counted exactly once', async () => {
    const failures = readFileSync(runtime.files.failed, 'utf8').split('\n').filter(Boolean);
    expect(failures.length).toBeGreaterThan(0);
    const expected = replay(clickstream, lines);
    const before = await tableResults(runtime.clients.dynamodb, runtime.names.stateTable, clickstream, finalized);
    expect(before).not.toEqual(expected.results); // the victim's events are missing

    const first = await cli('redrive', '--pipeline', 'pipelines/clickstream.ts', '--dir', dir, '--json');
    expect(first.code, first.out).toBe(0);
    const reports = JSON.parse(first.out) as { stats: { applied: number; duplicates: number; undecidable: number } }[];
    expect(reports.reduce((n, r) => n + r.stats.applied, 0)).toBeGreaterThan(0);
    // Records of other keys in those ranges had been applied before the discard: their claims tell.
    expect(reports.reduce((n, r) => n + r.stats.duplicates, 0)).toBeGreaterThan(0);
    expect(reports.reduce((n, r) => n + r.stats.undecidable, 0)).toBe(0);
    const after = await tableResults(runtime.clients.dynamodb, runtime.names.stateTable, clickstream, finalized);
    expect(after).toEqual(expected.results);

    // A second re-drive is harmless.
    const second = await cli('redrive', '--pipeline', 'pipelines/clickstream.ts', '--dir', dir, '--json');
    expect(second.code, second.out).toBe(0);
    const again = JSON.parse(second.out) as { stats: { applied: number; stateWrites: number } }[];
    expect(again.reduce((n, r) => n + r.stats.applied, 0)).toBe(0);
    expect(await tableResults(runtime.clients.dynamodb, runtime.names.stateTable, clickstream, finalized)).toEqual(
      expected.results,
    );
  }, 300_000);
});
