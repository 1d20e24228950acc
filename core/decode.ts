import type { Pipeline } from './definition';

/** A decoded, validated event with the fields the engine needs. */
export interface ValidEvent<E = unknown> {
  readonly ok: true;
  readonly event: E;
  readonly key: string;
  readonly time: number;
  readonly id: string | undefined;
}

/** Why a record was rejected: a short code and a human-readable detail. */
export interface Rejection {
  readonly ok: false;
  readonly reason: string;
}

/** Result of decoding one record. Decoding never throws on bad input. */
export type Decoded<E = unknown> = ValidEvent<E> | Rejection;

/** Largest record accepted, in bytes (the Kinesis record limit). */
export const MAX_RECORD_BYTES = 1_048_576;
/**
 * Largest aggregation key accepted, in UTF-8 bytes. DynamoDB allows 2,048 bytes for a partition key; keys keep to half
 * of it, which leaves room for prefixes and sort keys and is far above any real user id.
 */
export const MAX_KEY_BYTES = 1024;
/** Largest dedupe id accepted, in UTF-8 bytes (it is a DynamoDB key too). */
export const MAX_ID_BYTES = 1024;
/** Deepest JSON nesting accepted. */
export const MAX_DEPTH = 32;
/** Event times outside [year 1970, year 2200) are rejected. */
const MAX_TIME = Date.UTC(2200, 0, 1);

/**
 * A record known only by its size: a reader that does not buffer records over {@link MAX_RECORD_BYTES} (the replay
 * CLI's line reader) hands this over instead, and it is rejected as `too-large` like the bytes would be.
 */
export interface OversizedRecord {
  readonly oversizedBytes: number;
}

/**
 * A record as it can be handed to {@link decodeRecord}: its bytes, its text (the same decision as its UTF-8 bytes), or
 * only its size when it was too large to hold.
 */
export type RecordData = Uint8Array | string | OversizedRecord;

/** A parsed JSON object (null prototype) as the arrival-time function of a replay sees it. */
export type JsonObject = Readonly<Record<string, unknown>>;

/**
 * When the record arrived, epoch ms: a number (the processor: Kinesis approximateArrivalTimestamp, MSK timestamp), or
 * a function of the parsed JSON object (an offline replay reading it from a field). Undefined: not known, no
 * `future-time` check at decode.
 */
export type ArrivalTime = number | ((value: JsonObject) => number | undefined);

/** Strict UTF-8; like every UTF-8 decoder by default, it drops one leading byte order mark. */
const utf8 = new TextDecoder('utf-8', { fatal: true });
const BOM = '\uFEFF';
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Index of the first character outside the XML character set that is not a surrogate (C0 controls other than tab, LF
 * and CR, U+FFFE, U+FFFF; SQS bodies take only XML characters), or -1.
 */
function nonXmlIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff) return i;
  }
  return -1;
}

const reject = (code: string, detail: string): Rejection => ({ ok: false, reason: `${code}: ${detail}` });
const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The rejection of a record of `bytes` bytes (over {@link MAX_RECORD_BYTES}). */
export const tooLarge = (bytes: number): Rejection =>
  reject('too-large', `record of ${bytes} bytes exceeds ${MAX_RECORD_BYTES}`);

/**
 * Walk a parsed value: give every object a null prototype (so no lookup through it reaches Object.prototype, and a
 * field named `constructor` or `prototype` is plain data), refuse `__proto__` keys (the one name that changes a
 * prototype when copied by assignment) and excessive depth. Cheaper than a JSON.parse reviver.
 */
function checkShape(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= MAX_DEPTH) return `nesting deeper than ${MAX_DEPTH}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = checkShape(value[i], depth + 1);
      if (problem) return problem;
    }
    return undefined;
  }
  Object.setPrototypeOf(value, null);
  for (const k in value) {
    if (k === '__proto__') return 'forbidden key "__proto__"';
    const problem = checkShape((value as Record<string, unknown>)[k], depth + 1);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * Parse JSON text into an object with null-prototype objects throughout, refusing `__proto__` keys and deep nesting.
 * Sizes are checked by {@link decodeRecord}, before the text is parsed.
 */
export function parseJson(text: string): { ok: true; value: JsonObject } | Rejection {
  if (text.length === 0 || text.trim().length === 0) return reject('empty', 'record has no data');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return reject('invalid-json', (error as Error).message.slice(0, 120));
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return reject(
      'invalid-json',
      `expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  const problem = checkShape(value, 0);
  if (problem) return reject(problem.startsWith('forbidden') ? 'forbidden-key' : 'too-deep', problem);
  return { ok: true, value: value as JsonObject };
}

/** Decode bytes as strict UTF-8 (one leading byte order mark dropped). */
export function decodeUtf8(bytes: Uint8Array): { ok: true; text: string } | Rejection {
  if (bytes.length > MAX_RECORD_BYTES) return tooLarge(bytes.length);
  try {
    return { ok: true, text: utf8.decode(bytes) };
  } catch {
    return reject('invalid-utf8', 'record data is not valid UTF-8');
  }
}

/**
 * The text of a record, whatever form it came in; the same for a string as for its UTF-8 bytes: sizes in bytes, one
 * leading byte order mark dropped, and a string that has no UTF-8 form (a lone surrogate) refused like invalid UTF-8.
 */
function textOf(data: RecordData): { ok: true; text: string } | Rejection {
  if (typeof data === 'string') {
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes > MAX_RECORD_BYTES) return tooLarge(bytes);
    if (!data.isWellFormed()) {
      return reject('invalid-utf8', 'record text holds a lone surrogate, which has no UTF-8 form');
    }
    return { ok: true, text: data.startsWith(BOM) ? data.slice(1) : data };
  }
  if (data instanceof Uint8Array) return decodeUtf8(data);
  return tooLarge(data.oversizedBytes);
}

/**
 * Decode one record into a validated event: the one path every source takes (the processor's Kinesis and MSK
 * records, the offline replay's lines, the CLI's file lines), so each takes the same decision for the same bytes.
 * Size (bytes) → strict UTF-8, one leading byte order mark dropped → JSON object (null prototypes, no `__proto__`, at
 * most {@link MAX_DEPTH} deep) → schema → key, id and event time ({@link validateEvent}). Never throws on bad input.
 *
 * @param arrival - when the record arrived (ms, or a function of the parsed object): events further ahead than
 *   `settings.maxFutureSkew` are rejected as `future-time`.
 */
export function decodeRecord<E>(pipeline: Pipeline<E>, data: RecordData, arrival?: ArrivalTime): Decoded<E> {
  const text = textOf(data);
  if (!text.ok) return text;
  const parsed = parseJson(text.text);
  if (!parsed.ok) return parsed;
  return validateEvent(pipeline, parsed.value, typeof arrival === 'function' ? arrival(parsed.value) : arrival);
}

/**
 * Why a key or id cannot be stored, or undefined: empty, not well-formed Unicode, over `maxBytes` UTF-8 bytes, or
 * holding a character outside the XML character set (such a key would break every SQS body and XML API it reaches).
 */
export function keyProblem(what: string, value: string, maxBytes: number): string | undefined {
  if (value.length === 0) return `${what} is missing or empty`;
  if (!value.isWellFormed()) {
    const at = LONE_SURROGATE_RE.exec(value)!;
    return `${what} is not well-formed Unicode: lone surrogate ${codePoint(at[0])} at index ${at.index}`;
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > maxBytes) return `${what} of ${bytes} UTF-8 bytes exceeds ${maxBytes}`;
  const bad = nonXmlIndex(value);
  if (bad >= 0) {
    return `${what} holds ${codePoint(value[bad]!)} at index ${bad} (control characters other than tab, LF and CR, U+FFFE and U+FFFF are not allowed)`;
  }
  return undefined;
}

/**
 * Decode standard, padded base64 (what a regular expression over the alphabet and padding accepts), or undefined.
 * Buffer.from skips characters outside the alphabet, stops at a `=` inside the data and accepts the URL-safe
 * alphabet: the length of what it decoded tells the first two apart (every skipped character costs a byte), a scan
 * the third. Several times cheaper than the regular expression on records of a few KB.
 */
function strictBase64(data: string): Buffer | undefined {
  const n = data.length;
  if (n % 4 !== 0) return undefined;
  const pad = data.charCodeAt(n - 1) !== 61 ? 0 : data.charCodeAt(n - 2) !== 61 ? 1 : 2; // 61: '='
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length !== (n / 4) * 3 - pad) return undefined;
  return data.indexOf('-') === -1 && data.indexOf('_') === -1 ? bytes : undefined;
}

function formatIssues(
  issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<PropertyKey | { key: PropertyKey }> }>,
) {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Validate a parsed value against the pipeline: schema, key, id and event time. Never throws on bad input: a
 * throwing key/time function or a schema refinement that throws becomes a rejection.
 *
 * @param arrivalTime - when the source gave one (ms): events further ahead of it than `settings.maxFutureSkew` are
 *   rejected as `future-time`.
 */
export function validateEvent<E>(pipeline: Pipeline<E>, value: unknown, arrivalTime?: number): Decoded<E> {
  try {
    const result = pipeline.schema['~standard'].validate(value);
    if (result instanceof Promise) {
      // zod turns a refinement that throws into a rejected promise: observe it so it cannot crash the process.
      result.catch(() => undefined);
      return reject('invalid-event', 'the schema threw or is asynchronous (only synchronous schemas are supported)');
    }
    if (result.issues) return reject('schema', formatIssues(result.issues));
    const event = result.value;
    const key = pipeline.keyOf(event);
    const keyIssue = keyProblem('aggregation key', key, MAX_KEY_BYTES);
    if (keyIssue) return reject('invalid-key', keyIssue);
    let id: string | undefined;
    if (pipeline.idOf) {
      id = pipeline.idOf(event);
      const idIssue = keyProblem('dedupe id', id, MAX_ID_BYTES);
      if (idIssue) return reject('invalid-id', idIssue);
    }
    const time = pipeline.timeOf(event);
    if (!Number.isFinite(time)) return reject('invalid-time', 'event time is missing or not a valid time');
    if (time < 0 || time >= MAX_TIME) return reject('invalid-time', `event time ${time} is outside 1970..2200`);
    if (arrivalTime !== undefined && time > arrivalTime + pipeline.settings.maxFutureSkewMs) {
      return reject(
        'future-time',
        `event time ${new Date(time).toISOString()} is more than ${pipeline.settings.maxFutureSkewMs} ms after arrival ${new Date(arrivalTime).toISOString()}`,
      );
    }
    return { ok: true, event, key, time, id };
  } catch (error) {
    return reject('invalid-event', `reading the event failed: ${(error as Error).message?.slice(0, 120)}`);
  }
}

/** Decode one JSON text line into a validated event ({@link decodeRecord} of a string). */
export function decodeText<E>(pipeline: Pipeline<E>, text: string, arrival?: ArrivalTime): Decoded<E> {
  return decodeRecord(pipeline, text, arrival);
}

/**
 * The bytes of base64 record data (Kinesis `data`, MSK `value`), or why not: empty, too large (judged on the base64
 * length first, so a huge string is never decoded) or not strict base64.
 */
export function base64Bytes(data: string | null | undefined): { ok: true; bytes: Uint8Array } | Rejection {
  if (data === null || data === undefined || data.length === 0) return reject('empty', 'record has no data');
  if (data.length > Math.ceil(MAX_RECORD_BYTES / 3) * 4 + 4) {
    const padding = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
    return tooLarge(Math.floor((data.length * 3) / 4) - padding);
  }
  const bytes = strictBase64(data);
  if (bytes === undefined) return reject('invalid-base64', 'record data is not valid base64');
  return { ok: true, bytes };
}

/**
 * Decode base64 record data (Kinesis `data`, MSK `value`) into a validated event: {@link decodeRecord} of its bytes.
 */
export function decodeBase64Record<E>(
  pipeline: Pipeline<E>,
  data: string | null | undefined,
  arrival?: ArrivalTime,
): Decoded<E> {
  const bytes = base64Bytes(data);
  return bytes.ok ? decodeRecord(pipeline, bytes.bytes, arrival) : bytes;
}
