import { type BackoffOptions, backoff } from '../state/retry';
import { SinkCallError } from './errors';
import type { EmitMessage } from './messages';
import type { SinkFailure, SinkOutcome } from './sink';

/** An entry of a chunk that failed, and whether trying again can help. */
export interface EntryFailure {
  /** Position of the message in the chunk. */
  readonly index: number;
  readonly error: Error;
  readonly retryable: boolean;
}

/** Options of {@link deliver}. */
export interface DeliverOptions<M extends { readonly id: string } = EmitMessage> {
  /** Sink name (for errors). */
  readonly sink: string;
  /** Operation name (for errors), e.g. 'PutRecordBatch'. */
  readonly operation: string;
  /** Entries per call. */
  readonly maxEntries: number;
  /** Bytes per call (sum of `sizeOf`). @default Infinity */
  readonly maxBytes?: number;
  /** Size of one message as sent. @default 0 */
  readonly sizeOf?: (message: M) => number;
  /** Attempts per message (first try included). @default 4 */
  readonly maxAttempts?: number;
  /** @default base 50 ms, cap 2000 ms */
  readonly backoff?: BackoffOptions;
}

/** Split into chunks of at most `maxEntries` entries and `maxBytes` bytes (a message over `maxBytes` goes alone). */
export function chunk<T>(
  items: readonly T[],
  maxEntries: number,
  maxBytes: number,
  sizeOf: (item: T) => number,
): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxEntries || bytes + size > maxBytes)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * Deliver messages in chunks with `sendChunk` (one service call), retrying retryable entry failures (which the SDK
 * does not retry) with full-jitter backoff up to `maxAttempts` per message; a call that throws was already retried by
 * the SDK, and its messages fail at once (not permanently: re-delivered later). Non-retryable entry failures are
 * reported at once. Never throws.
 */
export async function deliver<M extends { readonly id: string } = EmitMessage>(
  messages: readonly M[],
  options: DeliverOptions<M>,
  sendChunk: (chunk: readonly M[]) => Promise<EntryFailure[]>,
): Promise<SinkOutcome> {
  const failed: SinkFailure[] = [];
  const maxAttempts = options.maxAttempts ?? 4;
  const delays = options.backoff ?? { baseDelayMs: 50, maxDelayMs: 2000 };
  let pending: { message: M; error?: Error }[] = messages.map((message) => ({ message }));
  let retries = 0;
  let requests = 0;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= maxAttempts) {
      for (const p of pending) failed.push({ id: p.message.id, error: p.error ?? new Error('not delivered') });
      break;
    }
    if (attempt > 0) {
      retries += pending.length;
      await backoff(attempt - 1, delays);
    }
    const next: typeof pending = [];
    const chunks = chunk(pending, options.maxEntries, options.maxBytes ?? Number.POSITIVE_INFINITY, (p) =>
      options.sizeOf ? options.sizeOf(p.message) : 0,
    );
    for (const part of chunks) {
      let failures: EntryFailure[];
      requests++;
      try {
        failures = await sendChunk(part.map((p) => p.message));
      } catch (error) {
        // The SDK already retried the call (throttle, 5xx, timeout): sending it again here would multiply its
        // attempts. Its messages fail now, not permanently (spilled for re-delivery, or the stream record retried).
        const wrapped = new SinkCallError(options.sink, options.operation, { cause: error });
        for (const p of part) failed.push({ id: p.message.id, error: wrapped });
        continue;
      }
      for (const f of failures) {
        const entry = part[f.index];
        if (!entry) continue;
        if (f.retryable) next.push({ message: entry.message, error: f.error });
        else failed.push({ id: entry.message.id, error: f.error, permanent: true });
      }
    }
    pending = next;
  }
  return { failed, retries, requests };
}

/** Bytes of a string in UTF-8. */
export const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
