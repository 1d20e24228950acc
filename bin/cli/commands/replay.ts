import { resolve } from 'node:path';
import type { RegisterCommand } from '../context';
import { DEFAULT_PIPELINE_FILE, loadPipeline } from '../load-pipeline';
import { isoTime, positiveInt } from '../options';
import { replayToFiles } from '../replay-files';

interface ReplayFlags {
  pipeline: string;
  input: string;
  out: string;
  shards: number;
  arrivalField?: string;
  arrivedBy?: number;
}

/** `streamfold replay`: offline replay of a JSON-lines file through a pipeline definition. */
export const registerReplay: RegisterCommand = (program, context) => {
  program
    .command('replay')
    .description(
      'Replay a JSON-lines file through a pipeline offline (backtest a definition on history). Writes results.jsonl, ' +
        'late.jsonl, rejected.jsonl and alerts.jsonl into --out and prints a JSON summary.',
    )
    .option('-p, --pipeline <file.ts>', 'pipeline definition file', DEFAULT_PIPELINE_FILE)
    .requiredOption('-i, --input <events.jsonl>', 'input events, one JSON object per line, in arrival order')
    .requiredOption('-o, --out <dir>', 'output folder (created when missing)')
    .option('-s, --shards <n>', 'shards to route events to by the hash of their partition key', positiveInt, 1)
    .option(
      '--arrival-field <name>',
      'field of each line holding its arrival time (epoch ms or ISO-8601): far-future events are then judged against ' +
        'it exactly as the processor judges them',
    )
    .option(
      '--arrived-by <time>',
      'ISO-8601 time by which every line had arrived (e.g. when the file was exported); a line without an arrival ' +
        'time is future-time when its event time is more than maxFutureSkew after it (default: now)',
      isoTime,
    )
    .action(async (flags: ReplayFlags) => {
      const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
      const summary = replayToFiles({
        pipeline,
        input: resolve(context.cwd, flags.input),
        out: resolve(context.cwd, flags.out),
        shards: flags.shards,
        ...(flags.arrivalField !== undefined ? { arrivalField: flags.arrivalField } : {}),
        ...(flags.arrivedBy !== undefined ? { arrivedBy: flags.arrivedBy } : {}),
      });
      context.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    });
};
