/**
 * Side-output message bodies (JSON). Every message has a deterministic `id` so a consumer can drop redeliveries: a
 * Lambda retry sends the same messages again, with the same ids.
 */

/** A record that could not be decoded or validated. */
export interface RejectedMessage {
  readonly kind: 'rejected';
  /** `source:sequence`. */
  readonly id: string;
  readonly pipeline: string;
  /** Shard id or topic-partition. */
  readonly source: string;
  /** Sequence number or offset (decimal string). */
  readonly sequence: string;
  /** Why: `code: detail` (e.g. `invalid-json: Unexpected token`). */
  readonly reason: string;
  /** The original record data, base64 (cut to {@link MAX_DATA_CHARS} characters when `truncated`). */
  readonly data: string;
  /** True when `data` was cut to fit the queue's message size. */
  readonly truncated?: boolean;
  /** Arrival time at the source, epoch ms. */
  readonly arrivalTime: number;
  /** Kinesis partition key or MSK message key, when there is one. */
  readonly partitionKey?: string;
}

/** One (record, window) pair dropped because the window had closed for the record's source. */
export interface LateMessage {
  readonly kind: 'late';
  /** `source:sequence:window:start`. */
  readonly id: string;
  readonly pipeline: string;
  readonly source: string;
  readonly sequence: string;
  /** Aggregation key of the record. */
  readonly key: string;
  readonly window: string;
  /** Window start and end, epoch ms (for sessions: the record's own time). */
  readonly start: number;
  readonly end: number;
  /** Event time of the record and stream time of its source at that record, epoch ms. */
  readonly eventTime: number;
  readonly streamTime: number;
  /** The original record data, base64 (cut when `truncated`). */
  readonly data: string;
  readonly truncated?: boolean;
}

/** Any side-output message. */
export type SideOutputMessage = RejectedMessage | LateMessage;

/**
 * Longest `data` kept in a message (base64 characters). SQS takes 256 KiB per message and per batch; a Kinesis record
 * can be 1 MiB, so larger data is cut (the source, sequence and reason still identify the record).
 */
export const MAX_DATA_CHARS = 200_000;

/** `data` cut to `max` characters (default {@link MAX_DATA_CHARS}), with the flag to set. */
export function fitData(
  data: string | null | undefined,
  max: number = MAX_DATA_CHARS,
): { data: string; truncated?: true } {
  const text = data ?? '';
  return text.length > max ? { data: text.slice(0, max), truncated: true } : { data: text };
}

/** The id of a rejected record's message. */
export const rejectedId = (source: string, sequence: string): string => `${source}:${sequence}`;

/** The id of a late (record, window) message. */
export const lateId = (source: string, sequence: string, window: string, start: number): string =>
  `${source}:${sequence}:${window}:${start}`;
