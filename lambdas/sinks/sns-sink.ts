import { PublishBatchCommand, type SNSClient } from '@aws-sdk/client-sns';
import { SettingError } from '../../core/errors';
import { xmlSafeJson } from '../side-output/body';
import type { BackoffOptions } from '../state/retry';
import { deliver, utf8Bytes } from './deliver';
import { MessageTooLargeError, SinkEntryError } from './errors';
import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/** SNS's message size limit (256 KiB, the whole batch too). */
const SNS_MAX_BYTES = 256 * 1024;

/** Options of {@link SnsSink}. */
export interface SnsSinkOptions {
  readonly client: Pick<SNSClient, 'send'>;
  readonly topicArn: string;
  /** @default 'sns' */
  readonly name?: string;
  /** @default ['alert'] */
  readonly kinds?: readonly MessageKind[];
  /** @default 4 */
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
}

/**
 * Alerts to an SNS topic with PublishBatch (10 per call), the message body as JSON and the id, kind and alert name as
 * message attributes (for subscription filter policies). On a FIFO topic (`.fifo`) the id is also the
 * MessageDeduplicationId, so SNS itself drops a resend within its 5-minute deduplication window.
 */
export class SnsSink implements Sink {
  readonly name: string;
  readonly kinds: readonly MessageKind[];
  readonly #options: SnsSinkOptions;
  readonly #fifo: boolean;

  constructor(options: SnsSinkOptions) {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/.test(options.topicArn)) {
      throw new SettingError('topicArn', options.topicArn, 'an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)');
    }
    this.#options = options;
    this.name = options.name ?? 'sns';
    this.kinds = options.kinds ?? ['alert'];
    this.#fifo = options.topicArn.endsWith('.fifo');
  }

  async send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    const tooLarge = messages.filter((m) => utf8Bytes(JSON.stringify(m)) > SNS_MAX_BYTES - 1024);
    const ok = messages.filter((m) => !tooLarge.includes(m));
    const outcome = await deliver(
      ok,
      {
        sink: this.name,
        operation: 'PublishBatch',
        maxEntries: 10,
        maxBytes: SNS_MAX_BYTES,
        sizeOf: (m) => utf8Bytes(xmlSafeJson(m)) + 200,
        maxAttempts: this.#options.maxAttempts,
        backoff: this.#options.backoff,
      },
      async (chunk) => {
        const out = await this.#options.client.send(
          new PublishBatchCommand({
            TopicArn: this.#options.topicArn,
            PublishBatchRequestEntries: chunk.map((m, i) => ({
              Id: `m${i}`,
              // SNS delivers to SQS subscriptions, which take only XML characters: a `last` value or a key may
              // carry U+FFFE/U+FFFF from a producer. The escape keeps the JSON equal.
              Message: xmlSafeJson(m),
              MessageAttributes: {
                id: { DataType: 'String', StringValue: m.id },
                kind: { DataType: 'String', StringValue: m.kind },
                ...(m.kind === 'alert' ? { alert: { DataType: 'String', StringValue: m.alert } } : {}),
              },
              ...(this.#fifo ? { MessageDeduplicationId: m.id, MessageGroupId: m.key.slice(0, 128) || '-' } : {}),
            })),
          }),
        );
        return (out.Failed ?? []).map((f) => ({
          index: Number((f.Id ?? 'm-1').slice(1)),
          error: new SinkEntryError(this.name, f.Code ?? 'Unknown', f.Message),
          retryable: !f.SenderFault,
        }));
      },
    );
    return {
      failed: [
        ...outcome.failed,
        ...tooLarge.map((m) => ({
          id: m.id,
          permanent: true,
          error: new MessageTooLargeError(this.name, m.id, utf8Bytes(JSON.stringify(m)), SNS_MAX_BYTES - 1024),
        })),
      ],
      retries: outcome.retries,
      requests: outcome.requests,
    };
  }
}
