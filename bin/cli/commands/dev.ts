import { join, resolve } from 'node:path';
import { writeJsonl } from '../../../local/generator';
import type { RegisterCommand } from '../context';
import { DEFAULT_PIPELINE_FILE, loadPipeline } from '../load-pipeline';
import { integer, positiveInt } from '../options';
import { replayToFiles } from '../replay-files';

interface DevFlags {
  pipeline: string;
  events: number;
  seed: number;
  dir: string;
}

/**
 * `streamfold dev` (what `npm start` runs). Until the local runtime lands, it generates a seeded clickstream sample
 * (with bots, late, duplicate and malformed lines) and replays it offline, printing the summary.
 */
export const registerDev: RegisterCommand = (program, context) => {
  program
    .command('dev')
    .description(
      'Run the reference pipeline locally. For now: generate a seeded clickstream sample and replay it offline ' +
        '(the local runtime on embedded engines replaces this).',
    )
    .option(
      '-p, --pipeline <file.ts>',
      'pipeline definition file (the sample is clickstream events)',
      DEFAULT_PIPELINE_FILE,
    )
    .option('-n, --events <n>', 'sample size (lines)', positiveInt, 10_000)
    .option('--seed <n>', 'generator seed (same seed, same sample)', integer, 1)
    .option('-d, --dir <dir>', 'working folder for the sample and the replay output', '.streamfold/dev')
    .action(async (flags: DevFlags) => {
      const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
      const dir = resolve(context.cwd, flags.dir);
      const input = join(dir, 'sample.jsonl');
      const sample = await writeJsonl(input, { seed: flags.seed, events: flags.events });
      context.stderr(
        `streamfold dev: generated ${sample.total} lines (seed ${sample.seed}, bots ${sample.botIds.join(', ') || 'none'}; ` +
          `${sample.counts.late} late, ${sample.counts.duplicate} duplicate, ${sample.counts.malformed} malformed) ` +
          `and replayed them offline through pipeline '${pipeline.name}'. Output in ${join(dir, 'out')}\n`,
      );
      const summary = replayToFiles({ pipeline, input, out: join(dir, 'out') });
      context.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    });
};
