import { createHash } from 'node:crypto';
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
  /** Fence key of a source ({@link fenceKey}) -> last applied sequence (canonical decimal). */
  applied: Record<string, string>;
  /**
   * Fence key -> when its entry last moved (epoch minutes). Entries untouched for longer than the fence horizon are
   * dropped (no record that old can be delivered again), which bounds the map after resharding.
   */
  appliedAt: Record<string, number>;
  /** Version of the stored item; 0 when absent. */
  version: number;
  /** TTL, epoch seconds. */
  ttl: number | undefined;
  /** Earliest time something in the state closes (epoch ms); written only when finite. */
  nextClose?: number;
  /** When the item was last written (wall clock, epoch ms), as read back. */
  updatedAt?: number;
}

/** The record standing for "no item". */
export const ABSENT: StateRecord = Object.freeze({
  exists: false,
  stateJson: undefined,
  applied: Object.freeze({}) as Record<string, string>,
  appliedAt: Object.freeze({}) as Record<string, number>,
  version: 0,
  ttl: undefined,
});

/**
 * State JSON longer than this is stored deflated (Binary attribute). DynamoDB charges one write unit per started KB,
 * and window state (repeated aggregate shapes, ISO strings) compresses 3-5×; but a deflate call costs tens of µs
 * (its context is set up each time), so state that fits in one unit anyway stays readable JSON text.
 */
export const COMPRESS_STATE_OVER = 860;

/**
 * How state is deflated: the fastest level, an 8 KB window and a small hash table. Most of a deflate call on a few KB
 * is setting up its context, and zlib's default one (a 32 KB window, a 64 KB hash table) costs more than the
 * compression itself: on the reference workload's state items this gives the same bytes to within 0.01 % in 0.41 of
 * the time. Readers inflate with the default window, which reads any smaller one, so older items and these mix.
 */
export const STATE_DEFLATE_OPTIONS = Object.freeze({ level: 1, windowBits: 13, memLevel: 6 });

/** The attribute value holding a state's JSON: text, or deflated bytes when that is smaller. */
export function encodeStateAttribute(json: string): AttributeValue {
  if (json.length <= COMPRESS_STATE_OVER) return { S: json };
  const bytes = deflateRawSync(Buffer.from(json, 'utf8'), STATE_DEFLATE_OPTIONS);
  return bytes.length < Buffer.byteLength(json, 'utf8') ? { B: bytes } : { S: json };
}

/**
 * The short key a source is fenced under in state items (8 characters of the SHA-256 of its identity): items carry
 * one applied entry per source, and source identities (stream or cluster, topic, shard or partition, epoch) are long.
 */
export function fenceKey(identity: string): string {
  return createHash('sha256').update(identity, 'utf8').digest('base64url').slice(0, 8);
}

/** Encode the applied map as one compact string attribute: `fence:sequence:minutes,...`. */
export function encodeApplied(applied: Record<string, string>, appliedAt: Record<string, number>): string {
  return Object.entries(applied)
    .map(([fence, sequence]) => `${fence}:${sequence}:${appliedAt[fence] ?? 0}`)
    .join(',');
}

/** Decode {@link encodeApplied} (and the map form of earlier items). */
export function decodeApplied(value: AttributeValue | undefined): Pick<StateRecord, 'applied' | 'appliedAt'> {
  const applied: Record<string, string> = {};
  const appliedAt: Record<string, number> = {};
  if (value?.S !== undefined) {
    for (const entry of value.S.split(',')) {
      if (entry === '') continue;
      const [fence, sequence, minutes] = entry.split(':');
      if (fence === undefined || sequence === undefined) continue;
      applied[fence] = canonicalSequence(sequence);
      appliedAt[fence] = Number(minutes ?? 0);
    }
  } else {
    for (const [source, v] of Object.entries(value?.M ?? {})) {
      if (v.S !== undefined) applied[source] = canonicalSequence(v.S);
    }
  }
  return { applied, appliedAt };
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
  // Built by assignment: spreading the key object into a literal with computed names costs this hot path (one call
  // per state write) about 10 µs a call in V8, against well under one.
  const item: Item = {};
  item[STATE_ATTR.pk] = { S: key };
  item[STATE_ATTR.sk] = { S: STATE_SORT_KEY };
  item[STATE_ATTR.applied] = { S: encodeApplied(record.applied, record.appliedAt) };
  item[STATE_ATTR.version] = { N: String(record.version) };
  item[STATE_ATTR.updatedAt] = { N: String(updatedAtMs) };
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
  const { applied, appliedAt } = decodeApplied(item[STATE_ATTR.applied]);
  const ttl = item[STATE_ATTR.ttl]?.N;
  const nextClose = item[STATE_ATTR.nextClose]?.N;
  const updatedAt = item[STATE_ATTR.updatedAt]?.N;
  return {
    exists: true,
    stateJson: decodeStateAttribute(item[STATE_ATTR.state]),
    applied,
    appliedAt,
    version: Number(item[STATE_ATTR.version]?.N ?? '0'),
    ttl: ttl === undefined ? undefined : Number(ttl),
    ...(nextClose === undefined ? {} : { nextClose: Number(nextClose) }),
    ...(updatedAt === undefined ? {} : { updatedAt: Number(updatedAt) }),
  };
}

/** A per-source checkpoint. */
export interface Checkpoint {
  /** Source identity (stream and shard, or cluster, topic and partition). */
  sourceId: string;
  /** Last sequence whose effects are all committed (canonical decimal). */
  sequence: string;
  /** Stream time (largest event time seen on the source), epoch ms; negative when none yet. */
  streamTime: number;
  /** When it was written, epoch ms. */
  updatedAt: number;
  /** Incarnation of the source (bumped when its sequence restarts). */
  epoch: number;
  /** Wall-clock time of the last batch that held a valid record; unset when none ever did (the source is idle). */
  lastValidAt?: number;
  /** Largest arrival time of the records covered, epoch ms. */
  arrivalMs?: number;
  /** Arrival time of the first record of the current epoch (epochs after the first), epoch ms. */
  epochStartMs?: number;
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
    [STATE_ATTR.epoch]: { N: String(checkpoint.epoch) },
    ...(checkpoint.lastValidAt !== undefined
      ? { [STATE_ATTR.lastValidAt]: { N: String(checkpoint.lastValidAt) } }
      : {}),
    ...(checkpoint.arrivalMs !== undefined ? { [STATE_ATTR.arrival]: { N: String(checkpoint.arrivalMs) } } : {}),
    ...(checkpoint.epochStartMs !== undefined
      ? { [STATE_ATTR.epochStart]: { N: String(checkpoint.epochStartMs) } }
      : {}),
  };
}

/** Decode a checkpoint item, or undefined. */
export function fromCheckpointItem(item: Item | undefined): Checkpoint | undefined {
  const sk = item?.[STATE_ATTR.sk]?.S;
  const sequence = item?.[STATE_ATTR.sequence]?.S;
  if (!item || sk === undefined || sequence === undefined) return undefined;
  const lastValidAt = item[STATE_ATTR.lastValidAt]?.N;
  const arrival = item[STATE_ATTR.arrival]?.N;
  const epochStart = item[STATE_ATTR.epochStart]?.N;
  return {
    sourceId: sk.slice(CHECKPOINT_SORT_PREFIX.length),
    sequence: canonicalSequence(sequence),
    streamTime: Number(item[STATE_ATTR.streamTime]?.N ?? '0'),
    updatedAt: Number(item[STATE_ATTR.updatedAt]?.N ?? '0'),
    epoch: Number(item[STATE_ATTR.epoch]?.N ?? '0'),
    ...(lastValidAt !== undefined ? { lastValidAt: Number(lastValidAt) } : {}),
    ...(arrival !== undefined ? { arrivalMs: Number(arrival) } : {}),
    ...(epochStart !== undefined ? { epochStartMs: Number(epochStart) } : {}),
  };
}
