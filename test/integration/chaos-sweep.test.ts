// Fault-injection sweep (issue 7): seeded schedules drive the REAL processor handler against DynamoDB Local through a
// fault layer (crashes before/after any call, throttles, service errors, timeouts after a landed write, failed SQS
// entries, lost responses, redeliveries, rewinds, bisects, partial failures, producer resends, cold restarts); every
// schedule must end equal to the oracle (replay() of the generated records). Longer sweeps and single-seed replays:
// `npm run test:chaos -- --schedules N --seed S` (test/chaos/run.ts, same code).
import { afterAll, describe, expect, inject, it } from 'vitest';
import { makeClients } from '../../local/aws-clients';
import { ChaosMismatchError } from '../chaos/errors';
import { runKinesisSchedule } from '../chaos/kinesis-schedule';
import { pipelineOf, runSchedule } from '../chaos/run-schedule';
import { busiestKey } from '../chaos/sabotage';
import { scheduleFor } from '../chaos/schedule';
import { buildShardLog, scheduleLines } from '../chaos/shard-log';
import { formatSummary, sweep } from '../chaos/sweep';

const clients = makeClients(inject('engineEndpoints'));
afterAll(() => clients.destroy());

const CI_SCHEDULES = 200;
const CI_FIRST_SEED = 1;

describe('fault-injection sweep against the oracle', () => {
  it(`${CI_SCHEDULES} schedules (seeds ${CI_FIRST_SEED}..${CI_FIRST_SEED + CI_SCHEDULES - 1}) all end equal to the oracle`, {
    timeout: 900_000,
  }, async () => {
    const summary = await sweep(clients.dynamodb, { seed: CI_FIRST_SEED, schedules: CI_SCHEDULES, concurrency: 4 });
    console.info(formatSummary(summary));
    // A failing schedule's message holds its seed and the one-line replay command.
    expect(summary.failures.map((f) => f.error.message)).toEqual([]);
    expect(summary.passed).toBe(CI_SCHEDULES);
    expect(summary.records).toBeGreaterThanOrEqual(20_000);
    // The sweep really exercised what it claims: every fate, every fault kind, every delivery path.
    for (const fate of ['applied', 'duplicate', 'late', 'rejected', 'failed'] as const) {
      expect(summary.fates[fate], fate).toBeGreaterThan(0);
    }
    for (const fault of ['crashBefore', 'crashAfter', 'throttle', 'serviceError', 'timeoutAfter']) {
      expect(summary.faults[fault] ?? 0, fault).toBeGreaterThan(0);
    }
    for (const what of [
      'partial',
      'bisects',
      'retries',
      'discarded',
      'restarts',
      'redeliveries',
      'rewinds',
      'lostResponses',
      'crashes',
    ]) {
      expect(summary.delivery[what] ?? 0, what).toBeGreaterThan(0);
    }
    expect(summary.alerts).toBeGreaterThan(0);
    expect(Object.keys(summary.byFamily).sort()).toEqual(['faults', 'no-dedupe', 'poison']);
  });

  // The oracle's self-test: a DynamoDB client that loses the state writes of schedule 2's busiest key while telling the
  // processor they landed. Either loss must be reported, with the seed and the replay command.
  it.each(['lose-key', 'stale-key'] as const)('the oracle catches lost state writes (self-test: %s)', async (mode) => {
    const schedule = scheduleFor(2);
    const victim = busiestKey(pipelineOf(schedule), buildShardLog(scheduleLines(schedule), schedule.shards));
    // stale-key is only certain to show when the key's applied events cannot all fit in its first landed batch.
    expect(victim.applied).toBeGreaterThan(schedule.batchSize);
    const error = await runSchedule(clients.dynamodb, 2, { sabotage: mode }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChaosMismatchError);
    expect((error as Error).message).toMatch(/schedule 2: window results .* differs from the oracle/);
    expect((error as Error).message).toContain(victim.key);
    expect((error as Error).message).toContain('npm run test:chaos -- --seed 2');
  });

  // Seed 38 is a dense schedule (a bot alert fires); seed 7 a sparse one.
  it.each([7, 38])(
    'schedule %i through kinesis-mock and the real EventSourceMapping ends equal to the oracle',
    {
      timeout: 300_000,
    },
    async (seed) => {
      const report = await runKinesisSchedule(clients.dynamodb, clients.kinesis, seed, { shards: 2, batchSize: 25 });
      console.info(`kinesis-mock schedule ${seed}: ${JSON.stringify(report)}`);
      expect(report.records).toBeGreaterThan(50);
      expect(report.fates.applied).toBeGreaterThan(0);
      expect(report.delivery.invocations).toBeGreaterThan(report.records / 25);
      expect(Object.values(report.faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    },
  );
});
