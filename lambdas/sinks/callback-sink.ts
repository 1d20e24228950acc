import type { EmitMessage, MessageKind } from './messages';
import type { Sink, SinkOutcome } from './sink';

/**
 * A sink that hands each batch to a function (the local runtime's console and live view, tests). The function may
 * throw: every message of the batch is then reported failed.
 */
export class CallbackSink implements Sink {
  constructor(
    readonly name: string,
    readonly kinds: readonly MessageKind[],
    private readonly callback: (messages: readonly EmitMessage[]) => void | Promise<void>,
  ) {}

  async send(messages: readonly EmitMessage[]): Promise<SinkOutcome> {
    try {
      await this.callback(messages);
      return { failed: [], retries: 0, requests: 1 };
    } catch (error) {
      return { failed: messages.map((m) => ({ id: m.id, error: error as Error })), retries: 0, requests: 1 };
    }
  }
}
