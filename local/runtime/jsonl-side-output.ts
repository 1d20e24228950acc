import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  type SendOutcome,
  type SideOutputMessage,
  type SideOutputSink,
  sideOutputBody,
} from '../../lambdas/side-output/index';

/**
 * A side-output sink for local runs (there is no embedded SQS): appends each message as one JSON line to a file,
 * e.g. `.streamfold/side-outputs/rejected.jsonl`, with the same XML-safe bodies as the SQS side output
 * (`sideOutputBody`). A Lambda retry appends the same message (same `id`) again, as an SQS queue would receive it
 * again: readers drop redeliveries by id.
 */
export class JsonlSideOutput implements SideOutputSink {
  private ready: Promise<unknown> | undefined;
  private count = 0;

  constructor(
    /** The file to append to (parent folders are created). */
    readonly path: string,
    private readonly onMessages?: (messages: readonly SideOutputMessage[]) => void,
  ) {}

  /** For logs: the file path. */
  get name(): string {
    return this.path;
  }

  /** Messages appended so far (redeliveries included). */
  get sent(): number {
    return this.count;
  }

  async send(messages: readonly SideOutputMessage[]): Promise<SendOutcome> {
    if (messages.length === 0) return { sent: 0, failedIds: [], retries: 0, errors: [] };
    try {
      this.ready ??= mkdir(dirname(this.path), { recursive: true });
      await this.ready;
      await appendFile(this.path, messages.map((m) => `${sideOutputBody(m)}\n`).join(''), 'utf8');
    } catch (error) {
      return { sent: 0, failedIds: messages.map((m) => m.id), retries: 0, errors: [error as Error] };
    }
    this.count += messages.length;
    this.onMessages?.(messages);
    return { sent: messages.length, failedIds: [], retries: 0, errors: [] };
  }
}
