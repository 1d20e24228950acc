import type { StandardSchemaV1 } from '@standard-schema/spec';
import { SettingError } from '../core/errors';

/** One warehouse column. */
export interface WarehouseColumn {
  readonly name: string;
  /** Hive/Glue type: string, bigint, double or boolean. */
  readonly type: string;
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema> };

function glueType(schema: JsonSchema | undefined): string {
  const types = Array.isArray(schema?.type) ? schema.type.filter((t) => t !== 'null') : [schema?.type];
  switch (types.length === 1 ? types[0] : undefined) {
    case 'integer':
      return 'bigint';
    case 'number':
      return 'double';
    case 'boolean':
      return 'boolean';
    default:
      // Strings, date-times, and nested objects/arrays (the JSON SerDe returns their JSON text).
      return 'string';
  }
}

/**
 * Warehouse columns of a pipeline's event schema, from its Standard JSON Schema (zod 4 schemas provide one).
 * Throws when the schema has none and no explicit columns are given.
 */
export function columnsFromSchema(schema: StandardSchemaV1): WarehouseColumn[] {
  const standard = schema['~standard'] as StandardSchemaV1['~standard'] & {
    jsonSchema?: { output?: (options: { target: string; libraryOptions?: Record<string, unknown> }) => unknown };
  };
  let json: JsonSchema | undefined;
  try {
    // Types JSON Schema cannot express (custom refinements, transforms) become `{}`: a string column.
    json = standard.jsonSchema?.output?.({
      target: 'draft-2020-12',
      libraryOptions: { unrepresentable: 'any' },
    }) as JsonSchema | undefined;
  } catch (error) {
    throw new SettingError('columns', standard.vendor, 'a schema convertible to JSON Schema, or explicit columns', {
      cause: error,
    });
  }
  const properties = json?.properties;
  if (!properties || Object.keys(properties).length === 0) {
    throw new SettingError(
      'columns',
      standard.vendor,
      'an object schema that exposes a JSON Schema (zod 4 does), or explicit warehouse columns',
    );
  }
  return Object.entries(properties).map(([name, property]) => ({ name: name.toLowerCase(), type: glueType(property) }));
}
