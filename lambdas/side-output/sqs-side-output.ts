import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { DuplicateMessageIdError, InvalidQueueUrlError } from './errors';
import type { SideOutputMessage } from './messages';
import type { SendOutcome, SideOutputSink } from './sink';

/** Entries per SendMessageBatch (the SQS limit). */
export const SQS_BATCH_ENTRIES = 10;
/** Bytes per SendMessageBatch we stay under (SQS allows 256 KiB for the whole batch; keep room for attributes). */
export const SQS_BATCH_BYTES = 250_000;

/** Options of {@link SqsSideOutput}. */
export interface SqsSideOutputOptions {
  /** SQS client (only `send` is used). */
  client: Pick<SQSClient, 'send'>;
  queueUrl: string;
  /** Attempts per message (first send included) before it is reported failed. @default 4 */
  maxAttempts?: number;
  /** Full-jitter backoff between attempts. @default base 20 ms, cap 500 ms */
  backoff?: { baseDelayMs?: number; maxDelayMs?: number };
  /** Parallel SendMessageBatch calls. @default 4 */
  concurrency?: number;
}

/**
 * Side output to an SQS queue: SendMessageBatch of up to 10 messages and 250 KB, failed entries retried (except
 * sender faults, which fail the same way again), with jittered backoff. Each message carries its deterministic id as
 * the `streamfold-id` attribute (and, on FIFO queues, as the deduplication id) so consumers can drop redeliveries.
 */
export class SqsSideOutput implements SideOutputSink {
  readonly name: string;
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;
  readonly #maxAttempts: number;
  readonly #backoff: { baseDelayMs?: number; maxDelayMs?: number };
  readonly #concurrency: number;
  readonly #fifo: boolean;

  constructor(options: SqsSideOutputOptions) {
    if (typeof options.queueUrl !== 'string' || !/^https?:\/\/\S+\/\S+$/.test(options.queueUrl)) {
      throw new InvalidQueueUrlError(options.queueUrl);
    }
    this.name = options.queueUrl;
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.#backoff = options.backoff ?? {};
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#fifo = options.queueUrl.endsWith('.fifo');
  }

  async send(messages: readonly SideOutputMessage[]): Promise<SendOutcome> {
    const outcome: SendOutcome = { sent: 0, failedIds: [], retries: 0, errors: [] };
    if (messages.length === 0) return outcome;
    const entries = new Map<string, { entry: Omit<SendMessageBatchRequestEntry, 'Id'>; bytes: number }>();
    for (const message of messages) {
      if (entries.has(message.id)) throw new DuplicateMessageIdError(message.id);
      const body = JSON.stringify(message);
      entries.set(message.id, { entry: this.#entry(message, body), bytes: Buffer.byteLength(body) + 200 });
    }
    let pending = [...entries.keys()];
    for (let attempt = 0; pending.length > 0 && attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) {
        outcome.retries += pending.length;
        await sleep(attempt - 1, this.#backoff);
      }
      const retry: string[] = [];
      const limit = pLimit(this.#concurrency);
      await Promise.all(
        chunk(pending, (id) => entries.get(id)!.bytes).map((ids) =>
          limit(async () => {
            const result = await this.#sendChunk(ids, entries);
            outcome.sent += result.sent;
            retry.push(...result.retry);
            outcome.failedIds.push(...result.failed);
            if (result.error) outcome.errors.push(result.error);
          }),
        ),
      );
      pending = retry;
    }
    outcome.failedIds.push(...pending);
    outcome.errors = outcome.errors.slice(-3);
    return outcome;
  }

  #entry(message: SideOutputMessage, body: string): Omit<SendMessageBatchRequestEntry, 'Id'> {
    const attributes: Record<string, MessageAttributeValue> = {
      'streamfold-id': { DataType: 'String', StringValue: message.id },
      'streamfold-kind': { DataType: 'String', StringValue: message.kind },
      'streamfold-pipeline': { DataType: 'String', StringValue: message.pipeline },
    };
    return {
      MessageBody: body,
      MessageAttributes: attributes,
      ...(this.#fifo
        ? {
            MessageGroupId: message.source,
            MessageDeduplicationId: createHash('sha256').update(message.id).digest('hex'),
          }
        : {}),
    };
  }

  async #sendChunk(
    ids: string[],
    entries: Map<string, { entry: Omit<SendMessageBatchRequestEntry, 'Id'> }>,
  ): Promise<{ sent: number; retry: string[]; failed: string[]; error?: Error }> {
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.#client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: ids.map((id, i) => ({ Id: String(i), ...entries.get(id)!.entry })),
        }),
      );
    } catch (error) {
      return { sent: 0, retry: ids, failed: [], error: error as Error };
    }
    const retry: string[] = [];
    const failed: string[] = [];
    let error: Error | undefined;
    for (const f of out.Failed ?? []) {
      const id = ids[Number(f.Id)];
      if (id === undefined) continue;
      error = Object.assign(new Error(`${f.Code ?? 'Failed'}: ${f.Message ?? 'SendMessageBatch entry failed'}`), {
        name: f.Code ?? 'SendMessageBatchEntryFailed',
      });
      (f.SenderFault ? failed : retry).push(id);
    }
    // Entries neither successful nor failed (should not happen) are retried.
    const answered = new Set([...(out.Successful ?? []), ...(out.Failed ?? [])].map((e) => e.Id));
    for (let i = 0; i < ids.length; i++) if (!answered.has(String(i))) retry.push(ids[i]!);
    return { sent: (out.Successful ?? []).filter((s) => ids[Number(s.Id)] !== undefined).length, retry, failed, error };
  }
}

/** Split ids into SendMessageBatch chunks: at most 10 entries and {@link SQS_BATCH_BYTES} each. */
export function chunk(ids: readonly string[], bytesOf: (id: string) => number): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const id of ids) {
    const size = bytesOf(id);
    if (current.length > 0 && (current.length >= SQS_BATCH_ENTRIES || bytes + size > SQS_BATCH_BYTES)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(id);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function sleep(attempt: number, options: { baseDelayMs?: number; maxDelayMs?: number }): Promise<void> {
  const cap = Math.min(options.maxDelayMs ?? 500, (options.baseDelayMs ?? 20) * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * cap)));
}
