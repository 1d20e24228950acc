/**
 * Benchmark runner: `npm run bench` runs every target and prints a table; `npm run bench -- engine` (named targets)
 * or `npm run bench -- --json` prints one JSON object. `--table` forces the table, `--quick` shrinks workloads (smoke
 * test only). Targets are listed in bench/targets.ts.
 */
import { machineInfo } from './machine';
import { type BenchReport, renderTable } from './report';
import { TARGETS } from './targets';

/** Parsed command line of the runner. */
export interface BenchArgs {
  readonly targets: string[];
  readonly json: boolean;
  readonly quick: boolean;
}

const USAGE = `usage: npm run bench -- [target...] [--json | --table] [--quick]\ntargets: ${Object.keys(TARGETS).join(', ')}`;

/** Parse the runner's arguments; throws with the usage on an unknown flag or target. */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const names = argv.filter((a) => !a.startsWith('-'));
  const flags = argv.filter((a) => a.startsWith('-'));
  const unknownFlag = flags.find((f) => !['--json', '--table', '--quick'].includes(f));
  if (unknownFlag) throw new Error(`unknown option ${unknownFlag}\n${USAGE}`);
  const unknown = names.find((n) => !(n in TARGETS));
  if (unknown) throw new Error(`unknown benchmark target ${JSON.stringify(unknown)}\n${USAGE}`);
  const json = flags.includes('--json') || (names.length > 0 && !flags.includes('--table'));
  return { targets: names.length > 0 ? names : Object.keys(TARGETS), json, quick: flags.includes('--quick') };
}

/** Run the selected targets in one process and collect one report; a failing target reports `{ error }`. */
export async function runBench(
  args: BenchArgs,
  log: (text: string) => void,
): Promise<{ report: BenchReport; failed: number }> {
  const report: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineInfo(),
  };
  let failed = 0;
  for (const name of args.targets) {
    try {
      const target = await TARGETS[name]!();
      report[name] = await target.run({ quick: args.quick, log });
    } catch (error) {
      failed++;
      report[name] = { error: (error as Error).message ?? String(error), workload: {} };
      log(`bench ${name} failed: ${(error as Error).stack ?? error}`);
    }
  }
  return { report: report as BenchReport, failed };
}

async function cli(): Promise<number> {
  let args: BenchArgs;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const { report, failed } = await runBench(args, (text) => process.stderr.write(`${text}\n`));
  process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report, args.targets));
  return failed > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.exitCode = await cli();
}
