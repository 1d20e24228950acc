import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
  type SQSClient as SqsClientType,
} from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { resourceNames } from '../../../core/names';
import {
  createRuntime,
  type FailureRecord,
  type RedriveReport,
  redriveFailure,
} from '../../../lambdas/processor/index';
import { SqsSideOutput } from '../../../lambdas/side-output/index';
import { makeClients } from '../../../local/aws-clients';
import { JsonlSideOutput, readRunFile } from '../../../local/runtime/index';
import type { RegisterCommand } from '../context';
import { InputFileError, UsageError } from '../errors';
import { DEFAULT_PIPELINE_FILE, loadPipeline } from '../load-pipeline';

interface RedriveFlags {
  pipeline: string;
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
    .option('-p, --pipeline <file.ts>', 'pipeline definition file', DEFAULT_PIPELINE_FILE)
    .option('--failed <file.jsonl>', 'failure records, one JSON per line (default: the running dev’s failed.jsonl)')
    .option('--queue-url <url>', 'the on-failure SQS queue (AWS); each message is deleted once its range is done')
    .option('--endpoint <url>', 'Kinesis/DynamoDB endpoint (default: the running dev, else AWS_ENDPOINT_URL or AWS)')
    .option('-d, --dir <dir>', 'working folder of the running `streamfold dev`', '.streamfold')
    .option('--json', 'print the reports as JSON')
    .action(async (flags: RedriveFlags) => {
      const { pipeline } = await loadPipeline(flags.pipeline, context.cwd);
      const dir = resolve(context.cwd, flags.dir);
      const run = readRunFile(dir);
      const endpoint = flags.endpoint ?? run?.endpoints.kinesis ?? process.env.AWS_ENDPOINT_URL;
      const names = resourceNames(pipeline);
      const local = endpoint !== undefined && flags.queueUrl === undefined;
      const clients = endpoint
        ? makeClients({ kinesis: endpoint, dynamodb: run?.endpoints.dynamodb ?? endpoint })
        : {
            kinesis: new KinesisClient({ requestHandler: new NodeHttpHandler() }),
            dynamodb: new DynamoDBClient({}),
            destroy: () => undefined,
          };
      const sqs = new SQSClient(endpoint ? { endpoint } : {});
      try {
        const failures = flags.queueUrl
          ? undefined
          : readFailureFile(flags.failed ?? `${dir}/side-outputs/failed.jsonl`);
        const sideOutputs = local
          ? {
              rejected: new JsonlSideOutput(`${dir}/side-outputs/rejected.jsonl`),
              late: new JsonlSideOutput(`${dir}/side-outputs/late.jsonl`),
            }
          : {
              rejected: new SqsSideOutput({ client: sqs, queueUrl: await queueUrl(sqs, names.rejectedQueue) }),
              late: new SqsSideOutput({ client: sqs, queueUrl: await queueUrl(sqs, names.lateQueue) }),
            };
        const runtime = createRuntime(pipeline, {
          dynamodb: clients.dynamodb,
          stateTable: names.stateTable,
          ...sideOutputs,
          logger: new Logger({ serviceName: pipeline.name, logLevel: 'WARN' }),
        });
        const reports: RedriveReport[] = [];
        const handle = async (failure: FailureRecord) => {
          const done = await redriveFailure(runtime, failure, { kinesis: clients.kinesis });
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
    });
};

function readFailureFile(path: string): FailureRecord[] {
  if (!existsSync(path)) throw new InputFileError(path, `no failure records: ${path} does not exist (--failed)`);
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      try {
        return JSON.parse(line) as FailureRecord;
      } catch {
        throw new InputFileError(path, `line ${i + 1} of ${path} is not a JSON failure record`);
      }
    });
}

async function queueUrl(sqs: Pick<SqsClientType, 'send'>, name: string): Promise<string> {
  const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!out.QueueUrl) throw new UsageError(`queue ${name} not found`);
  return out.QueueUrl;
}

/** Receive failure records from the queue until it is empty; delete each once its ranges are done. */
async function drainQueue(
  sqs: Pick<SqsClientType, 'send'>,
  url: string,
  handle: (failure: FailureRecord) => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 300 }),
    );
    const messages = out.Messages ?? [];
    if (messages.length === 0) return;
    for (const message of messages) {
      const ok = await handle(JSON.parse(message.Body ?? '{}') as FailureRecord);
      if (ok) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle! }));
    }
  }
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
