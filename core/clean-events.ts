/**
 * Clean events: every valid record (schema-valid, not rejected; duplicates too) as one warehouse row, with a
 * deterministic identity that lets the warehouse show each event once although delivery is at-least-once.
 * Pure: the processor's clean-events output, the CDK app (columns, view SQL, prefixes) and the local warehouse all
 * use this file, so the row, its identity and its partitions are defined once.
 *
 * Identity (`sf_uid`), the same rule as the processor's dedupe (docs/architecture.md §2.4, core/engine/claims.ts):
 * - with a dedupe id: (aggregation key, dedupe id, claim bucket of the event time). The processor drops a record as a
 *   duplicate exactly when an earlier record of the same key claimed the same id in the same one-minute bucket, so
 *   the warehouse collapses exactly the records the processor counts once (a resend whose claim is already forgotten
 *   is late for every window: counted nowhere, shown once);
 * - without one: the record itself (source identity, epoch, sequence), so a redelivery by Lambda collapses.
 */
import { createHash } from 'node:crypto';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { claimBucket } from './engine/claims';
import { DEFAULT_EVENT_TYPE_FIELD, eventTypePartitionOf, OTHER_EVENT_TYPE, schemaEnumValues } from './event-types';

/** Object prefix of the clean events in the data lake (and the local warehouse). */
export const CLEAN_EVENTS_PREFIX = 'clean/';
/** Object prefix of clean rows Firehose could not partition or write. */
export const CLEAN_ERRORS_PREFIX = 'clean-errors/';

/** The metadata fields streamfold adds to every clean row (prefixed `sf_`, kept apart from event fields). */
export const CLEAN_FIELDS = {
  /** The row's identity: the warehouse keeps one row per value (base64url of 16 bytes of SHA-256). */
  uid: 'sf_uid',
  /** The aggregation key. */
  key: 'sf_key',
  /** The dedupe id (pipelines with `id` only). */
  id: 'sf_id',
  /** The source the record came from (`shardId`, or `shardId#epoch` after a restart of its sequence). */
  source: 'sf_source',
  /** Its sequence number or offset (decimal string). */
  sequence: 'sf_sequence',
  /** Event time, epoch ms. */
  eventTime: 'sf_event_time',
  /** Arrival time at the source, epoch ms. */
  arrivalTime: 'sf_arrival_time',
  /** Partition values (for Firehose's dynamic partitioning; the tables read them from the prefix). */
  eventType: 'sf_event_type',
  dt: 'sf_dt',
  hour: 'sf_hour',
  /** Set when the event's fields could not be serialized or were too large for the destination (metadata kept). */
  truncated: 'sf_truncated',
} as const;

/** Metadata columns of the clean-events tables (Glue/Hive types), after the event's own columns. */
export const CLEAN_COLUMNS: readonly { readonly name: string; readonly type: 'string' | 'bigint' }[] = [
  { name: CLEAN_FIELDS.uid, type: 'string' },
  { name: CLEAN_FIELDS.key, type: 'string' },
  { name: CLEAN_FIELDS.id, type: 'string' },
  { name: CLEAN_FIELDS.source, type: 'string' },
  { name: CLEAN_FIELDS.sequence, type: 'string' },
  { name: CLEAN_FIELDS.eventTime, type: 'bigint' },
  { name: CLEAN_FIELDS.arrivalTime, type: 'bigint' },
];

/** Partition columns of the clean-events table, in prefix order (`event_type` only when partitioned by type). */
export const CLEAN_PARTITIONS = ['event_type', 'dt', 'hour'] as const;

/**
 * Which of several rows with the same `sf_uid` the warehouse keeps: the first to arrive (then the lowest sequence,
 * compared as a number), i.e. the one the processor counted. SQL shared by Athena, DuckDB, Snowflake and Redshift
 * (Redshift spells `length` as `len`, which it also accepts as `length`).
 */
export const CLEAN_DEDUPE_ORDER = `${CLEAN_FIELDS.arrivalTime}, length(${CLEAN_FIELDS.sequence}), ${CLEAN_FIELDS.sequence}`;

/** How clean rows are partitioned besides event date and hour: by a bounded event-type field, or not. */
export interface CleanPartitioning {
  /** The event field (its partition value is `event_type=`), or false for `dt=/hour=` only. */
  readonly field: string | false;
  /** Its allowed values (any other value, or none, is {@link OTHER_EVENT_TYPE}). */
  readonly values: readonly string[];
}

/**
 * The partitioning of a pipeline's clean rows. `field` undefined: the default field (`type`) when the schema makes
 * it an enum of strings, else date and hour only. A field whose schema is not an enum puts every row in
 * {@link OTHER_EVENT_TYPE} (bounded; the CDK app refuses such a field at synth).
 */
export function cleanPartitioningOf(schema: StandardSchemaV1, field: string | false | undefined): CleanPartitioning {
  const chosen =
    field ?? (schemaEnumValues(schema, DEFAULT_EVENT_TYPE_FIELD) !== undefined ? DEFAULT_EVENT_TYPE_FIELD : false);
  if (chosen === false) return { field: false, values: [] };
  return { field: chosen, values: schemaEnumValues(schema, chosen) ?? [] };
}

/** Where a record came from. */
export interface CleanEventOrigin {
  /** The source's identity (`<stream>/<shardId>`, `<cluster uuid>/<topic>-<partition>`). */
  readonly identity: string;
  /** The source's incarnation (0 until its sequence restarts). */
  readonly epoch: number;
  /** The source's name in ids and messages (`shardId`, or `shardId#epoch`). */
  readonly source: string;
}

/** One valid record, as the processor decoded it. */
export interface CleanEventInput extends CleanEventOrigin {
  /** The event as the schema output it. */
  readonly event: unknown;
  readonly key: string;
  readonly id: string | undefined;
  /** Event time, epoch ms. */
  readonly time: number;
  readonly sequence: string;
  /** Arrival time at the source, epoch ms. */
  readonly arrivalMs: number;
}

/** A clean row: the event's fields plus the `sf_` metadata of {@link CLEAN_FIELDS}. */
export type CleanEventRow = Record<string, unknown> & {
  readonly sf_uid: string;
  readonly sf_key: string;
  readonly sf_id?: string;
  readonly sf_source: string;
  readonly sf_sequence: string;
  readonly sf_event_time: number;
  readonly sf_arrival_time: number;
  readonly sf_event_type?: string;
  readonly sf_dt: string;
  readonly sf_hour: string;
};

const digest = (parts: readonly (string | number)[]) =>
  createHash('sha256').update(JSON.stringify(parts), 'utf8').digest().subarray(0, 16).toString('base64url');

/** The identity of a clean row (see the file's comment). */
export function cleanEventUid(input: CleanEventInput): string {
  return input.id !== undefined
    ? digest(['k', input.key, input.id, claimBucket(input.time)])
    : digest(['r', input.identity, input.epoch, input.sequence]);
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `dt` (yyyy-MM-dd) and `hour` (HH) of an event time, UTC. */
export function eventTimePartition(time: number): { dt: string; hour: string } {
  const d = new Date(time);
  return {
    dt: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    hour: pad(d.getUTCHours()),
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The clean row of a valid record: the event's own fields (an event that is not an object is kept under `event`),
 * then the metadata (which wins over an event field of the same `sf_` name), partitioned by event time and the
 * bounded event type.
 */
export function cleanEventRow(input: CleanEventInput, partitioning: CleanPartitioning): CleanEventRow {
  const fields = isPlainObject(input.event) ? input.event : { event: input.event };
  const { dt, hour } = eventTimePartition(input.time);
  let eventType: string | undefined;
  if (partitioning.field !== false) {
    const p = eventTypePartitionOf(fields, partitioning.field, partitioning.values);
    eventType = p.ok ? p.eventType : OTHER_EVENT_TYPE;
  }
  return {
    ...fields,
    sf_uid: cleanEventUid(input),
    sf_key: input.key,
    ...(input.id !== undefined ? { sf_id: input.id } : {}),
    sf_source: input.source,
    sf_sequence: input.sequence,
    sf_event_time: input.time,
    sf_arrival_time: input.arrivalMs,
    ...(eventType !== undefined ? { sf_event_type: eventType } : {}),
    sf_dt: dt,
    sf_hour: hour,
  };
}

/** The row with its metadata only (and `sf_truncated`), for an event that cannot be written as it is. */
export function cleanMetadataRow(row: CleanEventRow): CleanEventRow {
  const out: Record<string, unknown> = {};
  for (const name of Object.values(CLEAN_FIELDS)) if (row[name] !== undefined) out[name] = row[name];
  out[CLEAN_FIELDS.truncated] = true;
  return out as CleanEventRow;
}

/**
 * The JSON line of a row (no newline). Never throws: BigInt values become decimal strings, and a row that still
 * cannot be serialized (a schema transform returning a cyclic value) keeps its metadata only, flagged `sf_truncated`.
 */
export function cleanEventLine(row: CleanEventRow): string {
  try {
    return JSON.stringify(row, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  } catch {
    return JSON.stringify(cleanMetadataRow(row));
  }
}

/** The partition part of a row's object prefix: `event_type=<t>/dt=<yyyy-MM-dd>/hour=<HH>/` (type when present). */
export function cleanPartitionPath(row: Pick<CleanEventRow, 'sf_event_type' | 'sf_dt' | 'sf_hour'>): string {
  return `${row.sf_event_type !== undefined ? `event_type=${row.sf_event_type}/` : ''}dt=${row.sf_dt}/hour=${row.sf_hour}/`;
}

/** Name of the clean-events delivery stream of a pipeline (the CDK stack's, and the local warehouse's objects). */
export const cleanDeliveryStreamNameOf = (pipelineName: string): string => `${pipelineName}-clean-events`;
