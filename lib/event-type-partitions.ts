/**
 * Bounded partition values for the raw-event data lake (`events/event_type=<value>/`). Firehose partitions by a
 * producer-controlled field, and every distinct value is a new active partition (500 per delivery stream by default):
 * an unbounded field lets one producer push real events into `errors/`. So the allowed values come from the pipeline
 * schema's enum for that field, and every other value lands in {@link OTHER_EVENT_TYPE}.
 * Pure: no CDK, no AWS SDK (the local runtime can share it).
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { InvalidSettingError } from './errors';

/** Partition of events whose type is missing, not a string, or not one of the allowed values. */
export const OTHER_EVENT_TYPE = 'other';

/**
 * Most allowed values: each is an active Firehose partition per hour of arrival (plus {@link OTHER_EVENT_TYPE}), and a
 * delivery stream has 500 by default.
 */
export const MAX_EVENT_TYPES = 100;

/** A top-level field name the JQ query can address as `.field`. */
export const EVENT_TYPE_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The S3-safe partition value of an allowed type: characters other than `A-Za-z0-9_.-` become `_`. */
export function partitionValueOf(value: string): string {
  return value === '' ? '_' : value.replace(/[^A-Za-z0-9_.-]/g, '_');
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
};

/** The string literals a property schema allows, or undefined when it allows any other value. `null` is ignored. */
function literals(schema: JsonSchema | undefined): string[] | undefined {
  if (!schema) return undefined;
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const out: string[] = [];
    for (const branch of branches) {
      if (branch.type === 'null' && branch.enum === undefined && branch.const === undefined) continue;
      const values = literals(branch);
      if (!values) return undefined;
      out.push(...values);
    }
    return out.length > 0 ? out : undefined;
  }
  const values = schema.enum ?? ('const' in schema ? [schema.const] : undefined);
  if (!values) return undefined;
  const strings = values.filter((v) => v !== null);
  return strings.every((v): v is string => typeof v === 'string') && strings.length > 0 ? strings : undefined;
}

/**
 * The allowed values of the top-level `field` of a pipeline's event schema: its enum (or literals) in the schema's
 * input JSON Schema (zod 4 schemas provide one; the input side, because Firehose sees what producers sent).
 * @throws InvalidSettingError naming `eventTypeField` and the field when the field is not in the schema, is not a
 *   string enum, or has more than {@link MAX_EVENT_TYPES} values.
 */
export function eventTypesFromSchema(schema: StandardSchemaV1, field: string): string[] {
  if (!EVENT_TYPE_FIELD.test(field)) {
    throw new InvalidSettingError('eventTypeField', field, 'a top-level field name (letters, digits, _)');
  }
  const standard = schema['~standard'] as StandardSchemaV1['~standard'] & {
    jsonSchema?: { input?: (options: { target: string; libraryOptions?: Record<string, unknown> }) => unknown };
  };
  let json: JsonSchema | undefined;
  try {
    json = standard.jsonSchema?.input?.({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } }) as
      | JsonSchema
      | undefined;
  } catch {
    json = undefined;
  }
  const values = literals(json?.properties?.[field]);
  const off = 'or set eventTypeField to false to partition the data lake by arrival date and hour only';
  if (!values) {
    throw new InvalidSettingError(
      'eventTypeField',
      field,
      `a field whose schema is an enum of strings (the data lake partitions by its value, and an open-ended field ` +
        `lets producers create unbounded Firehose partitions), ${off}`,
    );
  }
  const unique = [...new Set(values)];
  if (unique.length > MAX_EVENT_TYPES) {
    throw new InvalidSettingError(
      'eventTypeField',
      field,
      `an enum of at most ${MAX_EVENT_TYPES} values (it has ${unique.length}; each is an active Firehose ` +
        `partition), ${off}`,
    );
  }
  return unique;
}

/**
 * The JQ (1.6) query of the Firehose MetadataExtraction processor: `event_type` is the partition value of `.field`
 * when it is one of `values`, else {@link OTHER_EVENT_TYPE}. Records that are not JSON objects (or `null`) fail the
 * query and land in `errors/`, as before.
 */
export function eventTypeQuery(field: string, values: readonly string[]): string {
  if (!EVENT_TYPE_FIELD.test(field)) {
    throw new InvalidSettingError('eventTypeField', field, 'a top-level field name (letters, digits, _)');
  }
  const map = JSON.stringify(Object.fromEntries(values.map((v) => [v, partitionValueOf(v)])));
  return (
    `{event_type: (.${field} as $t | if ($t | type) == "string" ` +
    `then (${map}[$t] // "${OTHER_EVENT_TYPE}") else "${OTHER_EVENT_TYPE}" end)}`
  );
}

/** Where one record goes, as {@link eventTypeQuery} decides: its partition value, or why the query fails. */
export type EventTypePartition =
  | { readonly ok: true; readonly eventType: string }
  | { readonly ok: false; readonly message: string };

/**
 * Evaluates {@link eventTypeQuery} on a parsed record in TypeScript (the local runtime's warehouse and the tests use
 * it): `null` and objects give a partition; arrays, strings, numbers and booleans cannot be indexed and fail.
 */
export function eventTypePartitionOf(record: unknown, field: string, values: readonly string[]): EventTypePartition {
  if (record !== null && (typeof record !== 'object' || Array.isArray(record))) {
    const kind = Array.isArray(record) ? 'array' : typeof record;
    return { ok: false, message: `Cannot index ${kind} with "${field}"` };
  }
  const value =
    record === null ? null : Object.hasOwn(record, field) ? (record as Record<string, unknown>)[field] : null;
  const allowed = typeof value === 'string' && values.includes(value);
  return { ok: true, eventType: allowed ? partitionValueOf(value) : OTHER_EVENT_TYPE };
}
