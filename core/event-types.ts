/**
 * Bounded partition values for an event-type field (the data lake's `event_type=<value>/` prefixes). Firehose
 * partitions by a field's value, and every distinct value is a new active partition (500 per delivery stream by
 * default): an unbounded field lets one producer push real events into the error prefix. So the allowed values come
 * from the pipeline schema's enum for that field, and every other value lands in {@link OTHER_EVENT_TYPE}.
 * Pure: shared by the CDK app (lib/event-type-partitions.ts), the processor's clean-events output and the local
 * warehouse.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';

/** Partition of events whose type is missing, not a string, or not one of the allowed values. */
export const OTHER_EVENT_TYPE = 'other';

/**
 * Most allowed values: each is an active Firehose partition per hour (plus {@link OTHER_EVENT_TYPE}), and a delivery
 * stream has 500 by default.
 */
export const MAX_EVENT_TYPES = 100;

/** A top-level field name a JQ query can address as `.field`. */
export const EVENT_TYPE_FIELD = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The event field the data lake is partitioned by unless told otherwise (`eventTypeField`). */
export const DEFAULT_EVENT_TYPE_FIELD = 'type';

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
 * The distinct string values the top-level `field` of a schema allows: its enum (or literals) in the schema's input
 * JSON Schema (zod 4 schemas provide one; the input side, because producers send it). Undefined when the schema has
 * no JSON Schema, no such field, or the field allows other values. Never throws (the CDK app turns `undefined` into a
 * setting error; the processor into "every value is `other`").
 */
export function schemaEnumValues(schema: StandardSchemaV1, field: string): string[] | undefined {
  if (!EVENT_TYPE_FIELD.test(field)) return undefined;
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
  return values ? [...new Set(values)] : undefined;
}

/** Where one record goes: its partition value, or why it cannot be indexed. */
export type EventTypePartition =
  | { readonly ok: true; readonly eventType: string }
  | { readonly ok: false; readonly message: string };

/**
 * The partition value of a parsed record, as the raw delivery's JQ query computes it (lib/event-type-partitions.ts
 * `eventTypeQuery`): the partition value of `record[field]` when it is one of `values`, else {@link OTHER_EVENT_TYPE};
 * `null` and objects give a partition; arrays, strings, numbers and booleans cannot be indexed and fail.
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
