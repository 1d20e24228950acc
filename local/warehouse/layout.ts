/**
 * The object layout of the local warehouse, as the CDK deliveries lay out the data lake:
 * - clean events (the processor's clean-events output, lib/clean-event-delivery.ts): `clean/` with the partition
 *   path of core/clean-events.ts (shared, not mirrored);
 * - raw events, for forensics (lib/raw-event-delivery.ts, off by default in the cloud): `raw/` and `errors/`;
 * - final window results (the emitter's results delivery): `aggregates/`.
 * The raw and results prefixes are core/contract.ts's, as lib/data-lake-bucket.ts and lib/emission.ts use them.
 */
import {
  AGGREGATES_PREFIX,
  DEFAULT_EVENT_TYPE_FIELD,
  RAW_ERRORS_PREFIX as ERRORS_PREFIX,
  eventTypePartitionOf,
  RAW_EVENTS_PREFIX,
} from '../../core';
import { RESULT_ROW_COLUMNS, type ResultColumnType } from '../../core/contract';

export {
  AGGREGATES_PREFIX,
  CLEAN_EVENTS_PREFIX,
  cleanDeliveryStreamNameOf,
  cleanPartitionPath,
  DEFAULT_EVENT_TYPE_FIELD,
  /** Name of the raw-event delivery stream of a pipeline (as the CDK stack names it). */
  rawDeliveryStreamNameOf as deliveryStreamNameOf,
  /** Name of the results delivery stream of a pipeline (as lib/emission.ts names it). */
  resultsDeliveryStreamNameOf,
} from '../../core';

/**
 * Prefixes of delivered raw events, `raw/event_type=<type>/dt=<yyyy-MM-dd>/hour=<HH>/` (arrival time), and of raw
 * records that could not be partitioned, `errors/<error-output-type>/dt=<yyyy-MM-dd>/hour=<HH>/` (core/contract.ts).
 */
export { ERRORS_PREFIX, RAW_EVENTS_PREFIX };
/** Error output type of records whose partition key could not be extracted (dynamic partitioning). */
export const PARTITIONING_FAILED = 'partitioning-failed';
/** Buffering interval of the CDK delivery streams (`deliveryBufferSeconds` default, 60 s). */
export const DEFAULT_BUFFERING_INTERVAL_MS = 60_000;
/** Buffering size of the CDK delivery streams (`deliveryBufferMiB` default, 64 MiB). */
export const DEFAULT_BUFFERING_BYTES = 64 * 1024 * 1024;

/** The partition of one raw record: its `event_type`, or why it could not be extracted. */
export type RecordPartition = { ok: true; eventType: string } | { ok: false; message: string };

/**
 * Evaluate the raw delivery's JQ query (lib/event-type-partitions.ts `eventTypeQuery`) on a record: invalid JSON and
 * JSON values that cannot be indexed (arrays, strings, numbers, booleans) fail; the value of `field` gives the
 * partition when it is one of the allowed `values`, anything else (or nothing) is `other`.
 */
export function partitionOf(
  data: Uint8Array,
  field: string = DEFAULT_EVENT_TYPE_FIELD,
  values: readonly string[] = [],
): RecordPartition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch (error) {
    return { ok: false, message: `Non JSON record: ${(error as Error).message}` };
  }
  return eventTypePartitionOf(value, field, values);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `dt=<yyyy-MM-dd>/hour=<HH>/` of a time (UTC), as Firehose's `!{timestamp:...}` expressions write it. */
export function timePrefix(ms: number): string {
  const d = new Date(ms);
  return `dt=${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}/hour=${pad(d.getUTCHours())}/`;
}

/**
 * Object prefix of delivered raw events, for the arrival time of the object's oldest record: partitioned by event
 * type (`eventType`), or by date and hour only (`undefined`, `eventTypeField: false`).
 */
export function rawEventsPrefix(eventType: string | undefined, oldestArrivalMs: number): string {
  return `${RAW_EVENTS_PREFIX}${eventType === undefined ? '' : `event_type=${eventType}/`}${timePrefix(oldestArrivalMs)}`;
}

/** Object prefix of records that failed partitioning. */
export function errorsPrefix(oldestArrivalMs: number): string {
  return `${ERRORS_PREFIX}${PARTITIONING_FAILED}/${timePrefix(oldestArrivalMs)}`;
}

/** Firehose's object name: `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<random>.gz`. */
export function objectName(deliveryStreamName: string, atMs: number, random: string): string {
  const d = new Date(atMs);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  return `${deliveryStreamName}-1-${stamp}-${random}.gz`;
}

const DUCKDB_TYPES: Record<ResultColumnType, string> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  json: 'JSON',
  'string[]': 'VARCHAR[]',
};

/** Columns of the results rows: the results row (core/contract.ts) as DuckDB types. */
export const RESULT_COLUMNS: readonly { readonly name: string; readonly type: string }[] = RESULT_ROW_COLUMNS.map(
  (c) => ({ name: c.name, type: DUCKDB_TYPES[c.type] }),
);

/** Object prefix of delivered results for the arrival time of the object's oldest record (`dt=` only, no hour). */
export function aggregatesPrefix(oldestArrivalMs: number): string {
  return `${AGGREGATES_PREFIX}${timePrefix(oldestArrivalMs).replace(/hour=\d\d\/$/, '')}`;
}
