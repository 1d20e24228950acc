import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { canonicalSequence, padSequence } from './sequence';
import { CHECKPOINT_PARTITION, CHECKPOINT_SORT_PREFIX, STATE_ATTR, STATE_SORT_KEY } from './tables';

type Item = Record<string, AttributeValue>;

/** A state record as cached and written (state kept as its JSON text so cached copies cannot be mutated). */
export interface StateRecord {
  /** False when no item exists in the table (version 0). */
  exists: boolean;
  /** The engine state as JSON, or undefined when the item holds none. */
  stateJson: string | undefined;
  /** Source id -> last applied sequence (canonical decimal). */
  applied: Record<string, string>;
  /** Version of the stored item; 0 when absent. */
  version: number;
  /** TTL, epoch seconds. */
  ttl: number | undefined;
  /** Earliest time something in the state closes (epoch ms); written (with its bucket) only when finite. */
  nextClose?: number;
}

/** The record standing for "no item". */
export const ABSENT: StateRecord = Object.freeze({
  exists: false,
  stateJson: undefined,
  applied: Object.freeze({}) as Record<string, string>,
  version: 0,
  ttl: undefined,
});

/**
 * State JSON longer than this is stored deflated (Binary attribute). DynamoDB charges one write unit per KB written,
 * and window state (repeated aggregate shapes, ISO strings) compresses 3-5×, so compression keeps most writes at
 * one unit. Shorter state stays readable JSON text.
 */
export const COMPRESS_STATE_OVER = 600;

/** The attribute value holding a state's JSON: text, or deflated bytes when that is smaller. */
export function encodeStateAttribute(json: string): AttributeValue {
  if (json.length <= COMPRESS_STATE_OVER) return { S: json };
  const bytes = deflateRawSync(Buffer.from(json, 'utf8'));
  return bytes.length < Buffer.byteLength(json, 'utf8') ? { B: bytes } : { S: json };
}

/**
 * The state JSON of a state item's attribute, whichever way it was stored: `S` (text) or `B` (deflated bytes, as
 * the SDK returns them, or base64 as Lambda delivers DynamoDB stream images).
 */
export function decodeStateAttribute(
  value: { S?: string; B?: Uint8Array | string } | AttributeValue | undefined,
): string | undefined {
  if (!value) return undefined;
  const v = value as { S?: string; B?: Uint8Array | string };
  if (v.S !== undefined) return v.S;
  if (v.B === undefined) return undefined;
  const bytes = typeof v.B === 'string' ? Buffer.from(v.B, 'base64') : v.B;
  return inflateRawSync(bytes).toString('utf8');
}

/** Primary key of the state record of `key`. */
export function stateKey(key: string): Item {
  return { [STATE_ATTR.pk]: { S: key }, [STATE_ATTR.sk]: { S: STATE_SORT_KEY } };
}

/** The full item for a state record. */
export function toStateItem(key: string, record: StateRecord, updatedAtMs: number): Item {
  const item: Item = {
    ...stateKey(key),
    [STATE_ATTR.applied]: { M: Object.fromEntries(Object.entries(record.applied).map(([k, v]) => [k, { S: v }])) },
    [STATE_ATTR.version]: { N: String(record.version) },
    [STATE_ATTR.updatedAt]: { N: String(updatedAtMs) },
  };
  if (record.stateJson !== undefined) item[STATE_ATTR.state] = encodeStateAttribute(record.stateJson);
  if (record.ttl !== undefined) item[STATE_ATTR.ttl] = { N: String(record.ttl) };
  if (record.nextClose !== undefined && Number.isFinite(record.nextClose)) {
    item[STATE_ATTR.nextClose] = { N: String(record.nextClose) };
  }
  return item;
}

/** Decode a state item (undefined -> {@link ABSENT}). */
export function fromStateItem(item: Item | undefined): StateRecord {
  if (!item?.[STATE_ATTR.pk]) return ABSENT;
  const applied: Record<string, string> = {};
  for (const [source, value] of Object.entries(item[STATE_ATTR.applied]?.M ?? {})) {
    if (value.S !== undefined) applied[source] = canonicalSequence(value.S);
  }
  const ttl = item[STATE_ATTR.ttl]?.N;
  const nextClose = item[STATE_ATTR.nextClose]?.N;
  return {
    exists: true,
    stateJson: decodeStateAttribute(item[STATE_ATTR.state]),
    applied,
    version: Number(item[STATE_ATTR.version]?.N ?? '0'),
    ttl: ttl === undefined ? undefined : Number(ttl),
    ...(nextClose === undefined ? {} : { nextClose: Number(nextClose) }),
  };
}

/** A per-source checkpoint. */
export interface Checkpoint {
  /** Shard id or topic-partition. */
  sourceId: string;
  /** Last sequence whose effects are all committed (canonical decimal). */
  sequence: string;
  /** Stream time (largest event time seen on the source), epoch ms. */
  streamTime: number;
  /** When it was written, epoch ms. */
  updatedAt: number;
}

/** Primary key of the checkpoint of `sourceId`. */
export function checkpointKey(sourceId: string): Item {
  return {
    [STATE_ATTR.pk]: { S: CHECKPOINT_PARTITION },
    [STATE_ATTR.sk]: { S: `${CHECKPOINT_SORT_PREFIX}${sourceId}` },
  };
}

/** The full item for a checkpoint (sequence zero-padded so the condition `seq < :seq` compares numerically). */
export function toCheckpointItem(checkpoint: Checkpoint): Item {
  return {
    ...checkpointKey(checkpoint.sourceId),
    [STATE_ATTR.sequence]: { S: padSequence(checkpoint.sequence) },
    [STATE_ATTR.streamTime]: { N: String(checkpoint.streamTime) },
    [STATE_ATTR.updatedAt]: { N: String(checkpoint.updatedAt) },
  };
}

/** Decode a checkpoint item, or undefined. */
export function fromCheckpointItem(item: Item | undefined): Checkpoint | undefined {
  const sk = item?.[STATE_ATTR.sk]?.S;
  const sequence = item?.[STATE_ATTR.sequence]?.S;
  if (!item || sk === undefined || sequence === undefined) return undefined;
  return {
    sourceId: sk.slice(CHECKPOINT_SORT_PREFIX.length),
    sequence: canonicalSequence(sequence),
    streamTime: Number(item[STATE_ATTR.streamTime]?.N ?? '0'),
    updatedAt: Number(item[STATE_ATTR.updatedAt]?.N ?? '0'),
  };
}
