/**
 * JSON Schema helpers of the compatibility check (core/evolution/schema-compat.ts): annotations stripped, canonical
 * equality, types, and whether one value is valid under a schema (the keywords the check handles).
 */

/** A JSON Schema: `true`, `false` or an object. */
export type Schema = boolean | Record<string, unknown>;

/** Keywords that do not change what a schema accepts. */
const ANNOTATIONS = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'examples',
  'default',
  'deprecated',
  'readOnly',
  'writeOnly',
  '$comment',
]);

/** Keywords the check compares; any other keyword of a reader must be unchanged. */
export const HANDLED = new Set([
  'type',
  'enum',
  'const',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'prefixItems',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
]);

/** The schema without its annotations. */
export function strip(schema: Schema): Schema {
  if (typeof schema === 'boolean') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (!ANNOTATIONS.has(k)) out[k] = v;
  return out;
}

/** Equal as JSON, ignoring key order and annotations. */
export function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .filter((k) => !ANNOTATIONS.has(k))
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The types a schema's `type` keyword allows, or undefined when it has none. */
export function typesOf(s: Record<string, unknown>): Set<string> | undefined {
  const t = s.type;
  if (typeof t === 'string') return new Set([t]);
  if (Array.isArray(t)) return new Set(t as string[]);
  return undefined;
}

function typeOfValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Whether type `t` is one of `allowed` (an integer is a number). */
export const typeAllowed = (allowed: Set<string>, t: string): boolean =>
  allowed.has(t) || (t === 'integer' && allowed.has('number'));

/** Why `value` is invalid under `schema` (the keywords above), or undefined when it is valid. */
export function invalid(value: unknown, schemaIn: Schema): string | undefined {
  const schema = strip(schemaIn);
  if (schema === true) return undefined;
  if (schema === false) return 'is rejected (the reader accepts nothing)';
  const s = schema as Record<string, unknown>;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(s[key])) {
      const rest = { ...s };
      delete rest[key];
      const ok = (s[key] as Schema[]).some(
        (b) => invalid(value, typeof b === 'object' ? { ...rest, ...b } : b) === undefined,
      );
      if (!ok) return 'matches no alternative';
      return undefined;
    }
  }
  if (s.const !== undefined && !equal(s.const, value)) return "is not the reader's constant";
  if (Array.isArray(s.enum) && !s.enum.some((e) => equal(e, value))) return "is not one of the reader's values";
  const types = typesOf(s);
  const t = typeOfValue(value);
  if (types && !typeAllowed(types, t)) return `has type ${t}, the reader accepts ${[...types].join(', ')}`;
  if (typeof value === 'string') {
    if (typeof s.minLength === 'number' && value.length < s.minLength) return 'is too short';
    if (typeof s.maxLength === 'number' && value.length > s.maxLength) return 'is too long';
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(value)) return 'does not match the pattern';
  }
  if (typeof value === 'number') {
    if (typeof s.minimum === 'number' && value < s.minimum) return 'is below the minimum';
    if (typeof s.maximum === 'number' && value > s.maximum) return 'is above the maximum';
  }
  return undefined;
}
