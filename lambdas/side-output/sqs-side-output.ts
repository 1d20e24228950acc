import { createHash } from 'node:crypto';
import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import pLimit from 'p-limit';
import { allSettledOrThrow } from '../../core/settle';
import { type BackoffOptions, backoff } from '../state/retry';
import { degradedMessage, sideOutputBody } from './body';
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
  backoff?: BackoffOptions;
  /** Parallel SendMessageBatch calls. @default 4 */
  concurrency?: number;
}

/** One message being sent: its entry (body and attributes) and whether it is already in its minimal form. */
interface Pending {
  readonly message: SideOutputMessage;
  entry: Omit<SendMessageBatchRequestEntry, 'Id'>;
  bytes: number;
  degraded: boolean;
}

/** What one round of SendMessageBatch calls did with its messages. */
interface Round {
  sent: number;
  /** Entries SQS failed without a sender fault: retried after a backoff (the SDK does not retry entries). */
  retry: string[];
  /** Messages of calls that threw: the SDK's retry strategy already resent them, so they fail now. */
  failed: string[];
  /** Sender faults (`Code: message` per id): the message as sent is refused, sending it again would fail again. */
  refused: Map<string, string>;
  errors: Error[];
}

/**
 * Side output to an SQS queue: SendMessageBatch of up to 10 messages and 250 KB, with XML-safe bodies
 * ({@link sideOutputBody}). Entries that fail without a sender fault are retried with jittered backoff; a call that
 * throws was already retried by the SDK, and its messages fail at once (the batch is retried, not the call). A sender fault is never retried as if transient: the message is sent at once in its minimal form
 * (`DegradedMessage`: no data, keys base64), so one record SQS refuses cannot fail its batch again and again; only a
 * minimal message refused too (a queue setting such as its KMS key, not the record) is reported failed. Each message
 * carries its deterministic id as the `streamfold-id` attribute (and, on FIFO queues, as the deduplication id) so
 * consumers can drop redeliveries.
 */
export class SqsSideOutput implements SideOutputSink {
  readonly name: string;
  readonly #client: Pick<SQSClient, 'send'>;
  readonly #queueUrl: string;
  readonly #maxAttempts: number;
  readonly #backoff: BackoffOptions;
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
    this.#backoff = { ...options.backoff, maxDelayMs: options.backoff?.maxDelayMs ?? 500 };
    this.#concurrency = Math.max(1, options.concurrency ?? 4);
    this.#fifo = options.queueUrl.endsWith('.fifo');
  }

  async send(messages: readonly SideOutputMessage[]): Promise<SendOutcome> {
    const outcome: SendOutcome = { sent: 0, failedIds: [], retries: 0, errors: [], degraded: 0 };
    if (messages.length === 0) return outcome;
    const entries = new Map<string, Pending>();
    for (const message of messages) {
      if (entries.has(message.id)) throw new DuplicateMessageIdError(message.id);
      const body = sideOutputBody(message);
      entries.set(message.id, {
        message,
        entry: this.#entry(message, body),
        bytes: Buffer.byteLength(body) + 200,
        degraded: false,
      });
    }
    let pending = [...entries.keys()];
    for (let attempt = 0; pending.length > 0 && attempt < this.#maxAttempts; attempt++) {
      if (attempt > 0) {
        outcome.retries += pending.length;
        await backoff(attempt - 1, this.#backoff);
      }
      const retry: string[] = [];
      let ids = pending;
      // A refused message goes again at once in its minimal form (not a retry: a different message); refused again,
      // it fails.
      while (ids.length > 0) {
        const round = await this.#round(ids, entries);
        outcome.sent += round.sent;
        retry.push(...round.retry);
        outcome.failedIds.push(...round.failed);
        outcome.errors.push(...round.errors);
        ids = [];
        for (const [id, fault] of round.refused) {
          const pendingEntry = entries.get(id)!;
          if (pendingEntry.degraded) {
            outcome.failedIds.push(id);
            outcome.errors.push(
              Object.assign(new Error(`SQS refused the minimal form of message ${id} too: ${fault}`), {
                name: 'SideOutputRefused',
              }),
            );
            continue;
          }
          const body = sideOutputBody(degradedMessage(pendingEntry.message, fault));
          pendingEntry.entry = this.#entry(pendingEntry.message, body);
          pendingEntry.bytes = Buffer.byteLength(body) + 200;
          pendingEntry.degraded = true;
          outcome.degraded = (outcome.degraded ?? 0) + 1;
          ids.push(id);
        }
      }
      pending = retry;
    }
    outcome.failedIds.push(...pending);
    outcome.errors = outcome.errors.slice(-3);
    return outcome;
  }

  /** Send these messages once, in chunks, in parallel. */
  async #round(ids: readonly string[], entries: Map<string, Pending>): Promise<Round> {
    const round: Round = { sent: 0, retry: [], failed: [], refused: new Map(), errors: [] };
    const limit = pLimit(this.#concurrency);
    await allSettledOrThrow(
      chunk(ids, (id) => entries.get(id)!.bytes).map((part) => limit(() => this.#sendChunk(part, entries, round))),
    );
    return round;
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

  async #sendChunk(ids: readonly string[], entries: Map<string, Pending>, round: Round): Promise<void> {
    let out: SendMessageBatchCommandOutput;
    try {
      out = await this.#client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: ids.map((id, i) => ({ Id: String(i), ...entries.get(id)!.entry })),
        }),
      );
    } catch (error) {
      const err = error as Error;
      if (err?.name === 'BatchRequestTooLong') {
        // The batch as a whole is too long for SQS: halve it; a single message that is too long is refused.
        if (ids.length === 1) round.refused.set(ids[0]!, `${err.name}: ${err.message}`);
        else {
          const half = Math.ceil(ids.length / 2);
          await this.#sendChunk(ids.slice(0, half), entries, round);
          await this.#sendChunk(ids.slice(half), entries, round);
        }
        return;
      }
      round.failed.push(...ids);
      round.errors.push(err);
      return;
    }
    for (const f of out.Failed ?? []) {
      const id = ids[Number(f.Id)];
      if (id === undefined) continue;
      const fault = `${f.Code ?? 'Failed'}: ${f.Message ?? 'SendMessageBatch entry failed'}`;
      if (f.SenderFault) round.refused.set(id, fault);
      else {
        round.retry.push(id);
        round.errors.push(Object.assign(new Error(fault), { name: f.Code ?? 'SendMessageBatchEntryFailed' }));
      }
    }
    // Entries neither successful nor failed (should not happen) are retried.
    const answered = new Set([...(out.Successful ?? []), ...(out.Failed ?? [])].map((e) => e.Id));
    for (let i = 0; i < ids.length; i++) if (!answered.has(String(i))) round.retry.push(ids[i]!);
    round.sent += (out.Successful ?? []).filter((s) => ids[Number(s.Id)] !== undefined).length;
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
