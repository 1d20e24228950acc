/**
 * Side-output message bodies. SQS accepts only the XML character set in a message body (#x9 | #xA | #xD |
 * [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]); a body holding anything else is refused with a sender fault.
 * Reasons quote raw input (V8's JSON.parse errors do), and partition keys and keys come from producers, so every body
 * goes through {@link sideOutputBody}.
 */
import type { SideOutputMessage } from './messages';

const hex = (code: number) => `\\u${code.toString(16).padStart(4, '0')}`;

/**
 * `JSON.stringify(value)` with every code unit outside the XML character set written as a `\uXXXX` escape: U+FFFE and
 * U+FFFF (which JSON.stringify leaves as they are), and, should any remain, C0 controls and lone surrogates (which
 * JSON.stringify already escapes). Such characters only occur inside JSON strings, where the escape means the same
 * character: `JSON.parse` of the result equals `JSON.parse(JSON.stringify(value))`.
 *
 * @example xmlSafeJson({ key: 'a\uffff' }) // '{"key":"a\\uffff"}'
 */
export function xmlSafeJson(value: unknown): string {
  const json = JSON.stringify(value);
  let out = '';
  let from = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c >= 0x20 && c < 0xd800) continue;
    let unsafe: boolean;
    if (c < 0x20) unsafe = c !== 0x09 && c !== 0x0a && c !== 0x0d;
    else if (c <= 0xdbff) {
      const next = json.charCodeAt(i + 1);
      unsafe = !(next >= 0xdc00 && next <= 0xdfff);
      if (!unsafe) i++; // a surrogate pair: a character above U+FFFF, allowed
    } else if (c <= 0xdfff) unsafe = true;
    else unsafe = c === 0xfffe || c === 0xffff;
    if (unsafe) {
      out += json.slice(from, i) + hex(c);
      from = i + 1;
    }
  }
  return from === 0 ? json : out + json.slice(from);
}

/** The body of a side-output message as every writer sends it (SQS, the local JSONL files): XML-safe JSON. */
export function sideOutputBody(message: SideOutputMessage | DegradedMessage): string {
  return xmlSafeJson(message);
}

/**
 * A message SQS refused as sent (a sender fault: its content or its size), sent again in this minimal form so the
 * record still ends in its side output: what identifies the record and why it is there, without `data`; the key and
 * the partition key, when there were any, as base64 of their UTF-8. Consumers recognise it by `degraded: true`.
 */
export interface DegradedMessage {
  readonly kind: SideOutputMessage['kind'];
  readonly id: string;
  readonly pipeline: string;
  readonly source: string;
  readonly sequence: string;
  /** Rejected: the rejection reason (cut to 1,000 characters). Late: `late for <window> [start, end)`. */
  readonly reason: string;
  /** Rejected messages: arrival time at the source, epoch ms. */
  readonly arrivalTime?: number;
  /** Late messages: the window and its bounds, epoch ms. */
  readonly window?: string;
  readonly start?: number;
  readonly end?: number;
  /** Late messages: the aggregation key, base64 of its UTF-8. */
  readonly keyBase64?: string;
  /** Rejected messages: the partition key, base64 of its UTF-8. */
  readonly partitionKeyBase64?: string;
  readonly degraded: true;
  /** What SQS answered for the full message (`Code: message`, cut to 300 characters). */
  readonly fault: string;
}

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** The minimal form of a message SQS refused with `fault`. */
export function degradedMessage(message: SideOutputMessage, fault: string): DegradedMessage {
  const common = {
    kind: message.kind,
    id: message.id,
    pipeline: message.pipeline,
    source: message.source,
    sequence: message.sequence,
  };
  const tail = { degraded: true as const, fault: fault.slice(0, 300) };
  if (message.kind === 'rejected') {
    return {
      ...common,
      reason: message.reason.slice(0, 1000),
      arrivalTime: message.arrivalTime,
      ...(message.partitionKey !== undefined ? { partitionKeyBase64: base64(message.partitionKey) } : {}),
      ...tail,
    };
  }
  return {
    ...common,
    reason: `late for ${message.window} [${message.start}, ${message.end})`,
    window: message.window,
    start: message.start,
    end: message.end,
    keyBase64: base64(message.key),
    ...tail,
  };
}
