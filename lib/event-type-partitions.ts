/**
 * Bounded partition values for the data lake (`event_type=<value>/`): the pure rules live in core/event-types.ts
 * (shared with the processor's clean-events output and the local warehouse); this file adds what the CDK app needs:
 * the setting validation and the Firehose JQ query of the raw-event delivery.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { SettingError } from '../core/errors';
import {
  EVENT_TYPE_FIELD,
  MAX_EVENT_TYPES,
  OTHER_EVENT_TYPE,
  partitionValueOf,
  schemaEnumValues,
} from '../core/event-types';

export {
  EVENT_TYPE_FIELD,
  type EventTypePartition,
  eventTypePartitionOf,
  MAX_EVENT_TYPES,
  OTHER_EVENT_TYPE,
  partitionValueOf,
} from '../core/event-types';

/**
 * The allowed values of the top-level `field` of a pipeline's event schema: its enum (or literals) in the schema's
 * input JSON Schema (zod 4 schemas provide one; the input side, because producers send it).
 * @throws SettingError naming `eventTypeField` and the field when the field is not in the schema, is not a
 *   string enum, or has more than {@link MAX_EVENT_TYPES} values.
 */
export function eventTypesFromSchema(schema: StandardSchemaV1, field: string): string[] {
  if (!EVENT_TYPE_FIELD.test(field)) {
    throw new SettingError('eventTypeField', field, 'a top-level field name (letters, digits, _)');
  }
  const values = schemaEnumValues(schema, field);
  const off = 'or set eventTypeField to false to partition the data lake by date and hour only';
  if (!values) {
    throw new SettingError(
      'eventTypeField',
      field,
      `a field whose schema is an enum of strings (the data lake partitions by its value, and an open-ended field ` +
        `lets producers create unbounded Firehose partitions), ${off}`,
    );
  }
  if (values.length > MAX_EVENT_TYPES) {
    throw new SettingError(
      'eventTypeField',
      field,
      `an enum of at most ${MAX_EVENT_TYPES} values (it has ${values.length}; each is an active Firehose ` +
        `partition), ${off}`,
    );
  }
  return values;
}

/**
 * The JQ (1.6) query of the raw-event delivery's MetadataExtraction processor: `event_type` is the partition value
 * of `.field` when it is one of `values`, else {@link OTHER_EVENT_TYPE}. Records that are not JSON objects (or
 * `null`) fail the query and land in `errors/`.
 */
export function eventTypeQuery(field: string, values: readonly string[]): string {
  if (!EVENT_TYPE_FIELD.test(field)) {
    throw new SettingError('eventTypeField', field, 'a top-level field name (letters, digits, _)');
  }
  const map = JSON.stringify(Object.fromEntries(values.map((v) => [v, partitionValueOf(v)])));
  return (
    `{event_type: (.${field} as $t | if ($t | type) == "string" ` +
    `then (${map}[$t] // "${OTHER_EVENT_TYPE}") else "${OTHER_EVENT_TYPE}" end)}`
  );
}
