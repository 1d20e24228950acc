/** One valid event ready for windowing, with the stream time of its source including this record. */
export interface EngineRecord<E = unknown> {
  readonly event: E;
  /** Event time (ms). */
  readonly time: number;
  /** Stream time of the record's source (shard or topic-partition) including this record. */
  readonly streamTime: number;
  /** The record's dedupe id, when the pipeline has one (claimed per key: see ./claims.ts). */
  readonly id?: string;
  /**
   * Size of the record as it arrived (UTF-8 bytes of its JSON text): bounds how much it can grow the state.
   * @default - the length of the event's JSON
   */
  readonly bytes?: number;
}

/** The value of one window for one key. Times are epoch ms; for sessions `end` is the last event time. */
export interface WindowResult {
  readonly window: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: Record<string, unknown>;
  /**
   * Names of aggregates whose value may miss events: the window instance was open when the definition changed, and
   * the aggregate was added to the window (or the window added, or reset) then; it counts the events applied after
   * the switch. Absent when every value is complete. See README "Changing a pipeline".
   */
  readonly partial?: readonly string[];
}

/** One (record, window) pair dropped because the window had closed (end + grace ≤ stream time). */
export interface LateEntry {
  /** Position of the record in the list given to `applyRecords`. */
  readonly index: number;
  readonly window: string;
  readonly start: number;
  readonly end: number;
}

/** An alert rule that turned true for a window and key (fires once per window, key and rule). */
export interface AlertEvent {
  readonly alert: string;
  readonly window: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly values: Record<string, unknown>;
  /** Position of the record that made the rule true. */
  readonly index: number;
}
