import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { resourceNames } from '../../../core/names';
import type { RegisterCommand } from '../context';
import { InputFileError } from '../errors';
import { loadPipeline, PIPELINE_OPTION_HELP } from '../load-pipeline';
import { positiveInt } from '../options';

interface ProduceFlags {
  pipeline?: string;
  input: string;
  endpoint?: string;
  stream?: string;
  dir: string;
  maxInFlight: number;
}

/**
 * `streamfold produce`: send a JSON-lines file to the pipeline's stream with the batching producer (partition key
 * from the definition), to a running `streamfold dev` (found through its run file), `--endpoint`, or
 * AWS_ENDPOINT_URL (LocalStack).
 */
export const registerProduce: RegisterCommand = (program, context) => {
  program
    .command('produce')
    .description(
      "Send a JSON-lines file to a pipeline's stream (PutRecords batching, partition key from the definition, retries " +
        'with backoff) and print the counters. Finds a running `streamfold dev` by itself; or give --endpoint, or set ' +
        'AWS_ENDPOINT_URL.',
    )
    .option('-p, --pipeline <file.ts>', PIPELINE_OPTION_HELP)
    .requiredOption('-i, --input <events.jsonl>', 'events, one per line (malformed lines are sent as they are)')
    .option('--endpoint <url>', 'Kinesis endpoint (default: the running dev, else AWS_ENDPOINT_URL)')
    .option('--stream <name>', 'stream name (default: <pipeline>-events, as the CDK app names it)')
    .option('-d, --dir <dir>', 'working folder of the running `streamfold dev`', '.streamfold')
    .option('--max-in-flight <n>', 'PutRecords requests in flight (1 keeps strict per-key order)', positiveInt, 1)
    .action(async (flags: ProduceFlags) => {
      // Loaded for this command only (AWS SDK clients, the local runtime's run file): the others start faster.
      const { makeClients } = await import('../../../local/aws-clients');
      const { produceFile } = await import('../../../local/producer');
      const { lineKeyOf, NoRunningDevError, readRunFile, runFilePath } = await import('../../../local/runtime/index');
      const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
      const inputPath = resolve(context.cwd, flags.input);
      let isFile = false;
      try {
        isFile = statSync(inputPath).isFile();
      } catch {
        throw new InputFileError(flags.input, `input file not found: ${flags.input} (--input)`);
      }
      if (!isFile) throw new InputFileError(flags.input, `input is not a file: ${flags.input} (--input)`);
      const dir = resolve(context.cwd, flags.dir);
      const run = readRunFile(dir);
      const endpoint = flags.endpoint ?? run?.endpoints.kinesis ?? process.env.AWS_ENDPOINT_URL;
      if (!endpoint) throw new NoRunningDevError(runFilePath(dir));
      const stream = flags.stream ?? resourceNames(pipeline).stream;
      const clients = makeClients({ kinesis: endpoint, dynamodb: endpoint });
      const keyOf = lineKeyOf(pipeline);
      const started = Date.now();
      try {
        const result = await produceFile({
          client: clients.kinesis,
          streamName: stream,
          inputPath,
          maxInFlight: flags.maxInFlight,
          partitionKey: (_event, line) => keyOf(line),
        });
        const seconds = (Date.now() - started) / 1000;
        context.stdout(
          `${JSON.stringify({ stream, endpoint, ...result, seconds, recordsPerSecond: Math.round(result.sent / seconds) }, null, 2)}\n`,
        );
      } finally {
        clients.destroy();
      }
    });
};
