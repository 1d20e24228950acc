/**
 * The table layout every part shares: the CDK app creates and grants by it, the Lambdas and the local runtime read
 * and write by it (lambdas/state/tables.ts builds the local CreateTable inputs from it). Defined once, here.
 */

/** Attribute names of the state table. */
export const STATE_ATTR = {
  /** Partition key (S): the aggregation key value, or {@link CHECKPOINT_PARTITION}. */
  pk: 'pk',
  /** Sort key (S): {@link STATE_SORT_KEY} for state records, {@link CHECKPOINT_SORT_PREFIX} + source id for checkpoints. */
  sk: 'sk',
  /** State record (S): the engine state as compact JSON. */
  state: 's',
  /**
   * State record (S): per source, the last applied sequence and when it moved, `fence:sequence:minutes,...` (fence =
   * 8 characters of the hash of the source identity; see codec.ts).
   */
  applied: 'ap',
  /** State record (N): version, +1 per write; the optimistic-concurrency fence. */
  version: 'v',
  /** (N) DynamoDB TTL, epoch seconds. */
  ttl: 'ttl',
  /** (N) Updated at, epoch ms. */
  updatedAt: 'ut',
  /** Checkpoint (S): last sequence whose effects are all committed, zero-padded to 130 digits. */
  sequence: 'seq',
  /** Checkpoint (N): stream time (largest event time seen on the source), epoch ms. */
  streamTime: 'st',
  /**
   * State record (N): earliest time something in the state closes, epoch ms. The closer scans for `nc` ≤ its
   * watermark (not indexed on purpose: an index on it would cost an index write on nearly every state write).
   */
  nextClose: 'nc',
  /** Checkpoint (N): incarnation of the source (bumped when its sequence restarts). */
  epoch: 'ep',
  /** Checkpoint (N): wall-clock time of the last batch with a valid record, epoch ms (idleness). */
  lastValidAt: 'lv',
  /** Checkpoint (N): largest arrival time of the records covered, epoch ms. */
  arrival: 'ar',
  /** Checkpoint (N): arrival time of the first record of the current epoch, epoch ms. */
  epochStart: 'es',
  /** Claim item (BS): the 8-byte hashes of the dedupe ids claimed in one bucket of a key (sort key `d#<bucket>`). */
  claims: 'h',
  /** Due item (S or B): the keys listed as due, `[[key, version, nextClose], ...]` (B: deflated). */
  due: 'k',
  /** Layout registry item (S): a state layout's descriptor as JSON (core/evolution/descriptor.ts). */
  layout: 'ld',
} as const;

/** Sort key prefix of a key's spilled claim items: `d#<bucket>` (pk = the aggregation key). */
export const CLAIM_SORT_PREFIX = 'd#';

/**
 * Partition key prefix of the due index (`#due#0` ... `#due#3`; sort key `<minute>#<writer>`, digits first, so no
 * sort key of a key's own items — `state`, `d#...`, `r#...` — can ever match it).
 */
export const DUE_PARTITION_PREFIX = '#due#';
/** Partitions the due index spreads its writes over. */
export const DUE_PARTITIONS = 4;

/** Sort key value of state records. */
export const STATE_SORT_KEY = 'state';
/** Partition key value holding every checkpoint, so listing them is one Query. */
export const CHECKPOINT_PARTITION = '#checkpoints';
/** Sort key prefix of checkpoint records; the rest is the source id. */
export const CHECKPOINT_SORT_PREFIX = 'checkpoint#';

/**
 * Partition key of the state table's internal items (not aggregation state). A producer's key `#meta` cannot reach
 * them: its items have the sort keys {@link STATE_SORT_KEY}, `d#...` (claims) and `r#...` (results), never `id-key`.
 */
export const META_PARTITION = '#meta';
/** Sort key (in {@link META_PARTITION}) of the item holding the pipeline's id key: the secret of alert/result ids. */
export const ID_KEY_SORT_KEY = 'id-key';
/** Attribute (B) of the id key item holding the secret: 32 random bytes, written once, never changed. */
export const ID_KEY_ATTRIBUTE = 'secret';

/**
 * Partition key of the layout registry ({@link META_PARTITION}; sort key `layout#<fingerprint>`): the descriptor of
 * every state layout that wrote this table, so a processor of another definition (a newer one, or the previous one
 * after a rollback) reads a key's state by name. A key's own items have sort keys `state`, `d#...`, `r#...`: never
 * `layout#...`.
 */
export const LAYOUT_PARTITION = META_PARTITION;
/** Sort key prefix of layout registry items; the rest is the layout fingerprint. */
export const LAYOUT_SORT_PREFIX = 'layout#';

/** Attribute names of the dedupe (idempotency) table. */
export const DEDUPE_ATTR = {
  /** Partition key (S): the dedupe id. */
  pk: 'pk',
  /** (S) Source id that first claimed the id. */
  source: 'src',
  /** (S) Sequence (canonical decimal) of the record that first claimed the id. */
  sequence: 'seq',
  /** (N) DynamoDB TTL, epoch seconds. */
  ttl: 'ttl',
} as const;

/** TTL attribute of both tables. */
export const TTL_ATTRIBUTE = 'ttl';
