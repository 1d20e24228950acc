import { hash } from 'node:crypto';
import { StateFormatError, StreamfoldError } from '../errors';
import { sessionsBeforeClosed, timedClosed } from './close-time';
import type { Layout } from './layout';
import type { KeyState } from './state';

/**
 * Dedupe claims (docs/architecture.md §2.4), kept inside the key's own state so that a claim commits together with the record's
 * effect: one conditional write carries both, and a record that was never applied leaves no claim behind.
 *
 * Scope and lifetime, the contract replay and the processor share (both run this code):
 * - A claim is per aggregation key: the first valid record of a key with dedupe id X claims X for that key; a later
 *   record of the same key with id X is a duplicate. The same id under another key is not a duplicate (a producer
 *   cannot make another user's events duplicates by sending their ids first).
 * - A claim is remembered while a record at its time could still change a window of the key: it is *forgotten* once
 *   such a record would be late for every window (see {@link claimsForgotten}); a resend after that is late, never
 *   counted. Forgetting is stable: once forgotten, a record at that time stays late forever.
 * - Ids are stored as 64-bit hashes (SHA-256, first 8 bytes, base64url: 11 characters), grouped by one-minute
 *   buckets of event time.
 */

/** Width of a claim bucket: claims are grouped (and forgotten) per minute of event time. */
export const CLAIM_BUCKET_MS = 60_000;

/** Characters of one stored id hash (8 bytes, base64url). */
export const CLAIM_HASH_CHARS = 11;

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The stored form of a dedupe id: 8 bytes of its SHA-256, base64url (11 characters). Computed from the one-shot
 * digest's text (a hash object per id cost 2.6 µs of the processor's path per event, this 0.4): its first 10
 * characters are the first 60 bits, and the 11th of 8 bytes holds bits 60-63 and two zero bits.
 */
export function claimHash(id: string): string {
  const full = hash('sha256', id, 'base64url');
  return full.slice(0, 10) + BASE64URL[BASE64URL.indexOf(full[10]!) & 0b111100];
}

/** The bucket of an event time. */
export function claimBucket(time: number): number {
  return Math.floor(time / CLAIM_BUCKET_MS);
}

/** Claims of buckets that the storage moved out of the key's item (docs/architecture.md §2.6), by bucket. */
export type SpilledClaims = ReadonlyMap<number, ReadonlySet<string>>;

/**
 * Raised by {@link applyRecords} when a record's bucket is listed as spilled (`KeyState.D`) but its claims were not
 * given in `ApplyOptions.spilledClaims`: the caller reads them and applies again.
 */
export class SpilledClaimsNeededError extends StreamfoldError {
  override readonly name = 'SpilledClaimsNeededError';
  readonly code = 'SPILLED_CLAIMS_NEEDED';
  constructor(readonly buckets: readonly number[]) {
    super(`claims of spilled bucket(s) ${buckets.join(', ')} are needed`);
  }
}

/**
 * True when a record at any time of `bucket` would be late for every window of this key at stream time `streamTime`,
 * now and later (so its claims can be forgotten; `streamTime` only grows):
 * - tumbling/hopping: every window holding a time of the bucket has end + grace ≤ stream time;
 * - sessions: every time of the bucket has time + gap + grace < stream time (a record is late for a session window on
 *   its own time, see applySession).
 */
export function claimsForgotten(layout: Layout, bucket: number, streamTime: number): boolean {
  const start = bucket * CLAIM_BUCKET_MS;
  const end = start + CLAIM_BUCKET_MS; // exclusive
  for (const w of layout.timedWindows) {
    // Start of the last window holding a time < end: the largest multiple of advance below end.
    const lastStart = Math.ceil(end / w.advanceMs) * w.advanceMs - w.advanceMs;
    if (!timedClosed(w, lastStart, streamTime)) return false;
  }
  for (const w of layout.sessionWindows) {
    if (!sessionsBeforeClosed(w, end, streamTime)) return false;
  }
  return true;
}

/** Parsed claim sets of live states (not stored), kept in step with `d` by {@link addClaim}. */
const claimSets = new WeakMap<KeyState, Map<number, { text: string; set: Set<string> }>>();

function inItem(st: KeyState, bucket: number): { text: string; set: Set<string> } | undefined {
  const text = st.d?.[bucket];
  if (text === undefined) return undefined;
  let cache = claimSets.get(st);
  if (!cache) claimSets.set(st, (cache = new Map()));
  let entry = cache.get(bucket);
  if (!entry || entry.text !== text) {
    if (text.length % CLAIM_HASH_CHARS !== 0) {
      throw new StateFormatError(`claims of bucket ${bucket} are not whole ${CLAIM_HASH_CHARS}-character hashes`);
    }
    const set = new Set<string>();
    for (let i = 0; i < text.length; i += CLAIM_HASH_CHARS) set.add(text.slice(i, i + CLAIM_HASH_CHARS));
    entry = { text, set };
    cache.set(bucket, entry);
  }
  return entry;
}

/**
 * Whether `hash` is claimed in `bucket` of this key (in the item, or among the spilled claims given).
 * @throws SpilledClaimsNeededError when the bucket is spilled and its claims were not given.
 */
export function isClaimed(st: KeyState, bucket: number, hash: string, spilled: SpilledClaims | undefined): boolean {
  if (inItem(st, bucket)?.set.has(hash)) return true;
  if (st.D?.[bucket] !== undefined) {
    const set = spilled?.get(bucket);
    if (!set) throw new SpilledClaimsNeededError([bucket]);
    return set.has(hash);
  }
  return false;
}

/** Record a claim in the key's item. */
export function addClaim(st: KeyState, bucket: number, hash: string): void {
  const entry = inItem(st, bucket);
  const text = (entry?.text ?? '') + hash;
  st.d ??= {};
  st.d[bucket] = text;
  if (entry) {
    entry.set.add(hash);
    entry.text = text;
  }
}

/** Drop the claims (and spilled-bucket entries) that are forgotten at stream time `through` (the key's `z`). */
export function pruneClaims(layout: Layout, st: KeyState, through: number): void {
  if (!Number.isFinite(through)) return;
  if (st.d) {
    for (const bucket of Object.keys(st.d)) {
      if (claimsForgotten(layout, Number(bucket), through)) delete st.d[bucket];
    }
    if (Object.keys(st.d).length === 0) delete st.d;
  }
  if (st.D) {
    for (const bucket of Object.keys(st.D)) {
      if (claimsForgotten(layout, Number(bucket), through)) delete st.D[bucket];
    }
    if (Object.keys(st.D).length === 0) delete st.D;
  }
}

/**
 * Most claims one key keeps in one bucket (a minute of event time): a record whose id would be one more is refused
 * (`state-too-large`), so a key's claims never outgrow what the storage can hold (a claim item of 8-byte hashes
 * stays under DynamoDB's 400 KB), whatever its producers do (a device with a frozen clock, truncated times).
 */
export const MAX_CLAIMS_PER_BUCKET = 40_000;

/** True when `bucket` of this key holds {@link MAX_CLAIMS_PER_BUCKET} claims (in the item and spilled together). */
export function claimsFull(st: KeyState, bucket: number): boolean {
  const inItemCount = (st.d?.[bucket]?.length ?? 0) / CLAIM_HASH_CHARS;
  return inItemCount + (st.D?.[bucket] ?? 0) >= MAX_CLAIMS_PER_BUCKET;
}

/** Total characters of the claims held in the item (what a spill policy looks at). */
export function claimChars(st: KeyState): number {
  let n = 0;
  for (const text of Object.values(st.d ?? {})) n += text.length;
  return n;
}
