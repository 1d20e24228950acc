import { fitData, type LateMessage, lateId, type RejectedMessage, type SideOutputMessage } from '../side-output/index';

/**
 * Data kept for a record in a state item's outbox (base64 characters; the rest is cut and flagged `truncated`): a
 * write holds at most {@link KEY_CHUNK_RECORDS}-many records' entries, so its item stays within DynamoDB's limit.
 * The record is identified by its source and sequence whatever is cut (the stream holds it for its retention).
 */
export const OUTBOX_DATA_CHARS = 1_024;

/** A record late for some of its windows, as a state write keeps it: once, with the windows it is late for. */
export interface LateRecordEntry {
  readonly kind: 'late-record';
  readonly pipeline: string;
  readonly source: string;
  readonly sequence: string;
  readonly key: string;
  readonly eventTime: number;
  readonly streamTime: number;
  /** `[window, start, end]` of each window the record is late for. */
  readonly windows: readonly (readonly [string, number, number])[];
  readonly data: string;
  readonly truncated?: true;
}

/** What a state write's outbox (`o`) holds: late records, and rejections decided by the write (`state-too-large`). */
export type OutboxEntry = LateRecordEntry | RejectedMessage;

/** The outbox entry of a record late for `windows`. */
export function lateRecordEntry(
  input: Omit<LateRecordEntry, 'kind' | 'data' | 'truncated'> & {
    readonly data: string | null | undefined;
  },
): LateRecordEntry {
  return { ...input, kind: 'late-record', ...fitData(input.data, OUTBOX_DATA_CHARS) };
}

/** The side-output messages of an outbox: one late message per (record, window), rejections as they are. */
export function expandOutbox(entries: readonly OutboxEntry[]): SideOutputMessage[] {
  const messages: SideOutputMessage[] = [];
  for (const entry of entries) {
    if (entry.kind !== 'late-record') {
      messages.push(entry);
      continue;
    }
    for (const [window, start, end] of entry.windows) {
      const late: LateMessage = {
        kind: 'late',
        id: lateId(entry.source, entry.sequence, window, start),
        pipeline: entry.pipeline,
        source: entry.source,
        sequence: entry.sequence,
        key: entry.key,
        window,
        start,
        end,
        eventTime: entry.eventTime,
        streamTime: entry.streamTime,
        data: entry.data,
        ...(entry.truncated ? { truncated: true } : {}),
      };
      messages.push(late);
    }
  }
  return messages;
}
