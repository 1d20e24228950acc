import type { Layout, Pipeline } from '../../core';
import type { SideOutputSink } from '../side-output/index';
import type { CleanEventsOutput } from '../sinks/clean-events';
import type { LayoutRegistry, StateStore } from '../state/index';

/** One record of a source (Kinesis shard or MSK topic-partition), as the processor needs it. */
export interface SourceRecord {
  /** Sequence number (Kinesis) or offset (MSK), decimal string. */
  readonly sequence: string;
  /** Record data as delivered, base64 (Kinesis `data`, MSK `value`). */
  readonly data: string | null | undefined;
  /** When the source received the record, epoch ms (Kinesis approximateArrivalTimestamp × 1000, MSK timestamp). */
  readonly arrivalMs: number;
  /** Kinesis partition key or MSK message key (decoded), when there is one. */
  readonly partitionKey?: string;
}

/** The records of one source in one invocation, in source order. */
export interface SourceBatch {
  /** Shard id (`shardId-000000000000`) or MSK `topic-partition`: what Lambda's partial batch response names. */
  readonly sourceId: string;
  /**
   * The source's identity: the stream or cluster, and the shard or topic-partition (`<stream>/<shard>`,
   * `<cluster uuid>/<topic>-<partition>`). Checkpoints and fences are kept under it, so pointing the app at another
   * stream or cluster never mistakes its sequences for the old one's.
   * @default sourceId
   */
  readonly identity?: string;
  /**
   * The source's name in side-output message ids (`<name>:<sequence>`, `#<epoch>` after it when the sequence
   * restarted): unique across every stream or cluster the app may read, so that ids name one record (MSK:
   * `<cluster uuid>/<topic>-<partition>`, as another cluster restarts the same topic's offsets at 0).
   * @default sourceId
   */
  readonly messageSource?: string;
  /**
   * True when arrival times grow with the sequence (Kinesis arrival timestamps, Kafka LogAppendTime): a record below
   * the checkpoint that arrived after it then proves the source's sequence restarted.
   * @default false
   */
  readonly arrivalOrdered?: boolean;
  readonly records: readonly SourceRecord[];
}

/** The parts of the StateStore the processor uses (a fault-injecting wrapper or a test double fits). */
export type ProcessorStore = Pick<
  StateStore,
  | 'getCheckpoint'
  | 'putCheckpoint'
  | 'listCheckpoints'
  | 'commit'
  | 'takeUsage'
  | 'readClaims'
  | 'spillClaims'
  | 'dropClaims'
  | 'listDue'
  | 'touchCheckpoint'
>;

/** Logging the processor does (Powertools Logger fits). */
export interface ProcessorLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Everything {@link processSource} works with. */
export interface ProcessContext {
  readonly pipeline: Pipeline;
  readonly layout: Layout;
  readonly store: ProcessorStore;
  readonly rejected: SideOutputSink;
  readonly late: SideOutputSink;
  /**
   * Where every valid record goes (the clean-events table), before the checkpoint can pass it.
   * @default - none: no clean-events output
   */
  readonly clean?: CleanEventsOutput;
  readonly log: ProcessorLog;
  /**
   * Track stream time per key instead of per source, and never skip records by checkpoint. Required with
   * ParallelizationFactor > 1: Lambda then runs several batches of one shard at once (ordered per partition key
   * only), so a per-shard checkpoint could skip another lane's uncommitted records and a per-shard stream time would
   * depend on how the lanes interleave. Per-key fencing keeps state exact; lateness is judged against the key's own
   * stream time (the partition key must be the aggregation key, which the CDK construct enforces).
   * @default false
   */
  readonly streamTimePerKey?: boolean;
  /** Wall clock, epoch ms (idleness and expiry only: no decision about a record rests on it). */
  readonly now: () => number;
  /** A source whose last valid record is older than this no longer holds the watermark back. */
  readonly idleTimeoutMs: number;
  /** How long a state item lives after its last write (wall clock; at least the fence horizon). */
  readonly stateTtlMs: number;
  /**
   * The state table's layout registry: states written under another definition are read by name through it (README
   * "Changing a pipeline").
   * @default - none: only states of this layout (or without one) can be read
   */
  readonly layouts?: LayoutRegistry;
}

/** Counts of one source's share of an invocation. */
export interface SourceStats {
  /** Records delivered. */
  received: number;
  /** At or below the checkpoint: fully done by an earlier invocation. */
  skipped: number;
  /** Undecodable or invalid, or refused (`state-too-large`, `partition-key-mismatch`): the rejected side output. */
  rejected: number;
  /** Producer duplicates dropped (dedupe id claimed for the key by another record). */
  duplicates: number;
  /** Times the source's sequence was found restarted (a new epoch began). */
  sourceResets: number;
  /** Records below the checkpoint with newer producer timestamps (a restart that cannot be proven): skipped. */
  suspectedResets: number;
  /** Re-drive only: records that may have been applied before the discard and cannot be proven either way. */
  undecidable: number;
  /** Records counted in at least one window by a state write of this invocation. */
  applied: number;
  /** Records late for every window they belong to (in the late side output only). */
  late: number;
  /** (record, window) pairs sent to the late side output. */
  lateEntries: number;
  /** Keys touched. */
  keys: number;
  /** State items written. */
  stateWrites: number;
  /** Conditional-check failures on state writes. */
  conflicts: number;
  /** Semantic resends: conditional conflicts recomputed, unprocessed keys, side-output entries (never a transport retry). */
  retries: number;
  /** Window results finalized (written into the state items' `r`). */
  finalized: number;
  /** Alerts fired (written into the state items' `a`). */
  alerts: number;
  /** Largest event time among valid records, epoch ms (−∞ when none). */
  maxEventTime: number;
}

/** What happened to one source. */
export interface SourceOutcome {
  readonly sourceId: string;
  /** The lowest record not fully done (Lambda must retry from it); undefined when every record is done. */
  readonly failedAt: SourceRecord | undefined;
  /** Why the source stopped at `failedAt`. */
  readonly error: Error | undefined;
  /** True when nothing was done (the failure is at the first record and no state was written). */
  readonly noProgress: boolean;
  readonly stats: SourceStats;
}

/** Fresh zero counts. */
export function emptyStats(received = 0): SourceStats {
  return {
    received,
    skipped: 0,
    rejected: 0,
    duplicates: 0,
    sourceResets: 0,
    suspectedResets: 0,
    undecidable: 0,
    applied: 0,
    late: 0,
    lateEntries: 0,
    keys: 0,
    stateWrites: 0,
    conflicts: 0,
    retries: 0,
    finalized: 0,
    alerts: 0,
    maxEventTime: Number.NEGATIVE_INFINITY,
  };
}
