// Fault-injection sweep from the command line (starts DynamoDB Local, or uses AWS_ENDPOINT_URL):
//
//   npm run test:chaos -- [--schedules N] [--seed S] [--concurrency C] [--stop-on-failure] [--kinesis] [--verbose]
//
// --verbose prints every schedule's report (one JSON line each).
// --kinesis runs the schedules through kinesis-mock and the real EventSourceMapping instead (slow: a few per minute).
// Runs schedules S .. S+N-1 (default: 200 schedules from seed 1) with the same code as the vitest sweep
// (test/integration/chaos-sweep.test.ts) and exits non-zero when one differs from the oracle; each failure prints its
// seed and the command that replays it alone.

import { makeClients } from '../../local/aws-clients';
import { startEngines } from '../../local/engines/index';
import { runKinesisSchedule } from './kinesis-schedule';
import { formatSummary, sweep } from './sweep';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value))
    throw new Error(`--${name} needs an integer, got ${JSON.stringify(process.argv[i + 1])}`);
  return value;
}

async function main(): Promise<number> {
  const schedules = option('schedules', 200);
  const seed = option('seed', 1);
  const concurrency = option('concurrency', 4);
  const viaKinesis = process.argv.includes('--kinesis');
  const engines = await startEngines({ kinesis: viaKinesis });
  const clients = makeClients(engines.endpoints);
  try {
    if (viaKinesis) return await kinesisSweep(clients, seed, schedules);
    const every = Math.max(1, Math.floor(schedules / 50));
    const started = Date.now();
    const summary = await sweep(clients.dynamodb, {
      seed,
      schedules,
      concurrency,
      stopOnFailure: process.argv.includes('--stop-on-failure'),
      onSchedule: (report, error, done) => {
        if (error) process.stderr.write(`${error.message}\n`);
        else if (process.argv.includes('--verbose')) process.stderr.write(`${JSON.stringify(report)}\n`);
        else if (done % every === 0) {
          const seconds = Math.round((Date.now() - started) / 1000);
          process.stderr.write(`${done}/${schedules} schedules (seed ${report?.seed} ok), ${seconds} s\n`);
        }
      },
    });
    process.stdout.write(`${formatSummary(summary)}\n`);
    return summary.failures.length > 0 ? 1 : 0;
  } finally {
    clients.destroy();
    await engines.stop();
  }
}

/** Schedules one after the other through kinesis-mock + EventSourceMapping. */
async function kinesisSweep(clients: ReturnType<typeof makeClients>, seed: number, schedules: number): Promise<number> {
  let failed = 0;
  for (let s = seed; s < seed + schedules; s++) {
    try {
      const report = await runKinesisSchedule(clients.dynamodb, clients.kinesis, s);
      process.stdout.write(`kinesis schedule ${s}: ${report.records} records ok in ${report.ms} ms\n`);
    } catch (error) {
      failed++;
      process.stdout.write(`${(error as Error).message}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
