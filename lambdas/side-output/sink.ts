import type { SideOutputMessage } from './messages';

/** Result of {@link SideOutputSink.send}. */
export interface SendOutcome {
  /** Messages accepted by the destination. */
  sent: number;
  /** Ids of messages that could not be sent after the bounded retries (their records must not be committed). */
  failedIds: string[];
  /** Retried messages (partial batch failures and failed calls). */
  retries: number;
  /** The last error per failed message kind, for logging. */
  errors: Error[];
  /**
   * Messages the destination refused as sent (an SQS sender fault: content or size) and that were sent in their
   * minimal form instead (a `DegradedMessage`); counted in `sent`, not failed. @default 0
   */
  degraded?: number;
}

/** Where rejected or late records go. Implementations retry internally and report what is still unsent. */
export interface SideOutputSink {
  /** For logs and errors (e.g. the queue URL). */
  readonly name: string;
  /** Send messages; never throws for a message's failure (see `failedIds`). */
  send(messages: readonly SideOutputMessage[]): Promise<SendOutcome>;
}

/**
 * A sink for when no queue is configured (local runs without SQS): each message becomes one structured log line, so
 * nothing is silently dropped. Production stacks always set the queue URLs.
 */
export class LogSideOutput implements SideOutputSink {
  constructor(
    readonly name: string,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  async send(messages: readonly SideOutputMessage[]): Promise<SendOutcome> {
    for (const message of messages) this.log(`side output ${this.name} (no queue configured)`, { ...message });
    return { sent: messages.length, failedIds: [], retries: 0, errors: [] };
  }
}
