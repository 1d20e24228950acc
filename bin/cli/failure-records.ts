import { existsSync, readFileSync } from 'node:fs';
import type { SQSClient as SqsClientType } from '@aws-sdk/client-sqs';
import type { FailureRecord } from '../../lambdas/processor/index';
import { InputFileError } from './errors';

/**
 * Where `streamfold redrive` reads failure-destination records: a file of JSON lines (locally
 * `.streamfold/side-outputs/failed.jsonl`) or the on-failure SQS queue.
 */

/** The failure records of a JSON-lines file. */
export function readFailureFile(path: string): FailureRecord[] {
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

/** Receive failure records from the queue until it is empty; delete each once its ranges are done. */
export async function drainQueue(
  sqs: Pick<SqsClientType, 'send'>,
  url: string,
  handle: (failure: FailureRecord) => Promise<boolean>,
): Promise<void> {
  const { DeleteMessageCommand, ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
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
