import { resolve } from 'node:path';
import type { SQSClient as SqsClientType } from '@aws-sdk/client-sqs';
import { resourceNames } from '../../../core/names';
import type { FailureRecord, RedriveReport } from '../../../lambdas/processor/index';
import type { CliContext, RegisterCommand } from '../context';
import { UsageError } from '../errors';
import { drainQueue, readFailureFile } from '../failure-records';
import { loadPipeline, PIPELINE_OPTION_HELP } from '../load-pipeline';

interface RedriveFlags {
  pipeline?: string;
  failed?: string;
  queueUrl?: string;
  endpoint?: string;
  dir: string;
  json?: boolean;
}

/**
 * `streamfold redrive`: re-process what the event source mapping discarded. Reads failure-destination records (a
 * file of JSON lines — locally `.streamfold/side-outputs/failed.jsonl` — or the failed SQS queue on AWS), reads each
 * discarded Kinesis range from the stream again (a Kafka S3 failure record carries its records), and processes it
 * with the processor's re-drive mode: the checkpoint skip is bypassed, fencing keeps what was applied exact, and a
 * second run changes nothing. Against a running `streamfold dev` (found through its run file), `--endpoint`, or AWS.
 */
export const registerRedrive: RegisterCommand = (program, context) => {
  program
    .command('redrive')
    .description(
      'Re-process the ranges the event source mapping discarded (failure-destination records), exactly once: what ' +
        'was applied stays applied, what was not is applied now (or reported late). Local runs: reads ' +
        '.streamfold/side-outputs/failed.jsonl of the running `streamfold dev`; AWS: --queue-url of the failed queue.',
    )
    .option('-p, --pipeline <file.ts>', PIPELINE_OPTION_HELP)
    .option('--failed <file.jsonl>', 'failure records, one JSON per line (default: the running dev’s failed.jsonl)')
    .option('--queue-url <url>', 'the on-failure SQS queue (AWS); each message is deleted once its range is done')
    .option('--endpoint <url>', 'Kinesis/DynamoDB endpoint (default: the running dev, else AWS_ENDPOINT_URL or AWS)')
    .option('-d, --dir <dir>', 'working folder of the running `streamfold dev`', '.streamfold')
    .option('--json', 'print the reports as JSON')
    .action((flags: RedriveFlags) => redrive(flags, context));
};

/**
 * The modules only this command needs (AWS SDK clients, the processor's runtime, the local runtime's run file), loaded
 * on use: the other commands start faster.
 */
async function redriveModules() {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { KinesisClient } = await import('@aws-sdk/client-kinesis');
  const { SQSClient } = await import('@aws-sdk/client-sqs');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const { createRuntime, redriveFailure } = await import('../../../lambdas/processor/index');
  const { SqsSideOutput } = await import('../../../lambdas/side-output/index');
  const { makeClients } = await import('../../../local/aws-clients');
  const { JsonlSideOutput, readRunFile } = await import('../../../local/runtime/index');
  return {
    Logger,
    DynamoDBClient,
    KinesisClient,
    SQSClient,
    NodeHttpHandler,
    createRuntime,
    redriveFailure,
    SqsSideOutput,
    makeClients,
    JsonlSideOutput,
    readRunFile,
  };
}

type RedriveModules = Awaited<ReturnType<typeof redriveModules>>;

/** Re-drive every failure record (of the file, or of the queue), print the reports, fail when one is incomplete. */
async function redrive(flags: RedriveFlags, context: CliContext): Promise<void> {
  const m = await redriveModules();
  const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
  const dir = resolve(context.cwd, flags.dir);
  const { clients, sqs, local } = connect(m, flags, dir);
  try {
    const failures = flags.queueUrl ? undefined : readFailureFile(flags.failed ?? `${dir}/side-outputs/failed.jsonl`);
    const names = resourceNames(pipeline);
    const runtime = m.createRuntime(pipeline, {
      dynamodb: clients.dynamodb,
      stateTable: names.stateTable,
      ...(await sideOutputs(m, local, dir, sqs, names)),
      logger: new m.Logger({ serviceName: pipeline.name, logLevel: 'WARN' }),
    });
    const reports: RedriveReport[] = [];
    const handle = async (failure: FailureRecord) => {
      const done = await m.redriveFailure(runtime, failure, { kinesis: clients.kinesis });
      reports.push(...done);
      return done.every((r) => r.error === undefined);
    };
    if (failures) {
      for (const failure of failures) await handle(failure);
    } else {
      await drainQueue(sqs, flags.queueUrl!, handle);
    }
    context.stdout(flags.json ? `${JSON.stringify(reports, null, 2)}\n` : formatReports(reports));
    if (reports.some((r) => r.error !== undefined)) {
      throw new UsageError('some ranges could not be re-driven completely: run the command again');
    }
  } finally {
    clients.destroy();
    sqs.destroy();
  }
}

/**
 * Clients of the running `streamfold dev` (its run file in `dir`), of `--endpoint`, or of AWS; `local` when the side
 * outputs are the local runtime's files (an endpoint and no `--queue-url`).
 */
function connect(m: RedriveModules, flags: RedriveFlags, dir: string) {
  const run = m.readRunFile(dir);
  const endpoint = flags.endpoint ?? run?.endpoints.kinesis ?? process.env.AWS_ENDPOINT_URL;
  const local = endpoint !== undefined && flags.queueUrl === undefined;
  const clients = endpoint
    ? m.makeClients({ kinesis: endpoint, dynamodb: run?.endpoints.dynamodb ?? endpoint })
    : {
        kinesis: new m.KinesisClient({ requestHandler: new m.NodeHttpHandler() }),
        dynamodb: new m.DynamoDBClient({}),
        destroy: () => undefined,
      };
  const sqs = new m.SQSClient(endpoint ? { endpoint } : {});
  return { clients, sqs, local };
}

/** Where the re-driven records' rejected and late records go: the local runtime's files, or the pipeline's queues. */
async function sideOutputs(
  m: RedriveModules,
  local: boolean,
  dir: string,
  sqs: SqsClientType,
  names: ReturnType<typeof resourceNames>,
) {
  if (local) {
    return {
      rejected: new m.JsonlSideOutput(`${dir}/side-outputs/rejected.jsonl`),
      late: new m.JsonlSideOutput(`${dir}/side-outputs/late.jsonl`),
    };
  }
  return {
    rejected: new m.SqsSideOutput({ client: sqs, queueUrl: await queueUrl(sqs, names.rejectedQueue) }),
    late: new m.SqsSideOutput({ client: sqs, queueUrl: await queueUrl(sqs, names.lateQueue) }),
  };
}

async function queueUrl(sqs: Pick<SqsClientType, 'send'>, name: string): Promise<string> {
  const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!out.QueueUrl) throw new UsageError(`queue ${name} not found`);
  return out.QueueUrl;
}

function formatReports(reports: readonly RedriveReport[]): string {
  if (reports.length === 0) return 'nothing to re-drive\n';
  return `${reports
    .map((r) => {
      const s = r.stats;
      const parts = [
        `${r.records} records`,
        `${s.applied} applied`,
        `${s.duplicates} duplicates (applied before)`,
        `${s.late} late`,
        `${s.rejected} rejected`,
        `${s.undecidable} undecidable`,
      ];
      return `${r.range}: ${parts.join(', ')}${r.error ? ` — INCOMPLETE: ${r.error}` : ''}${
        r.undecidable.length ? `\n  undecidable (not counted again): ${r.undecidable.join(' ')}` : ''
      }`;
    })
    .join('\n')}\n`;
}
