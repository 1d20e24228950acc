/**
 * Event schema compatibility (like a schema registry's, for JSON Schema): does every event one schema's producers
 * send validate under another schema? Producers are taken to send the fields their schema declares (a closed content
 * model for the writer); the reader is taken as it is (zod objects accept unknown fields unless `.strict()`).
 *
 * - BACKWARD (the default): the new definition reads every event the old producers send (writer old, reader new).
 * - FORWARD: the old definition reads every event new producers send (writer new, reader old).
 * - FULL: both.
 *
 * Conservative: a construct this module cannot compare (`$ref`, `allOf`, `not`, `if`, a changed `pattern`...) in
 * the reader counts as a problem unless it is unchanged. Problems name the JSON path and say why.
 */

/** Schema compatibility mode. */
export type Compatibility = 'BACKWARD' | 'FORWARD' | 'FULL';

/** The modes, for option parsing. */
export const COMPATIBILITY_MODES: readonly Compatibility[] = ['BACKWARD', 'FORWARD', 'FULL'];

type Schema = boolean | Record<string, unknown>;

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
const HANDLED = new Set([
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

/** The problems that make `mode` fail from `before` to `after` (empty: compatible). */
export function schemaProblems(before: unknown, after: unknown, mode: Compatibility): string[] {
  const out: string[] = [];
  if (mode === 'BACKWARD' || mode === 'FULL') {
    out.push(
      ...covers(before as Schema, after as Schema, '$').map((p) => `old events rejected by the new schema: ${p}`),
    );
  }
  if (mode === 'FORWARD' || mode === 'FULL') {
    out.push(
      ...covers(after as Schema, before as Schema, '$').map((p) => `new events rejected by the old schema: ${p}`),
    );
  }
  return out;
}

function strip(schema: Schema): Schema {
  if (typeof schema === 'boolean') return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (!ANNOTATIONS.has(k)) out[k] = v;
  return out;
}

function equal(a: unknown, b: unknown): boolean {
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

function typesOf(s: Record<string, unknown>): Set<string> | undefined {
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

const typeAllowed = (allowed: Set<string>, t: string) => allowed.has(t) || (t === 'integer' && allowed.has('number'));

/**
 * Problems with "every instance of `writer` (closed content model) is valid under `reader`"; empty when it holds.
 */
export function covers(writerIn: Schema, readerIn: Schema, path: string): string[] {
  const writer = strip(writerIn);
  const reader = strip(readerIn);
  if (reader === true || (typeof reader === 'object' && Object.keys(reader).length === 0)) return [];
  if (writer === false) return [];
  if (reader === false) return [`${path}: the reader accepts nothing`];
  if (writer === true || Object.keys(writer).length === 0) return [`${path}: any value was allowed, now restricted`];
  if (equal(writer, reader)) return [];
  const w = writer as Record<string, unknown>;
  const r = reader as Record<string, unknown>;
  // Alternatives of the writer: each must be covered.
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(w[key])) {
      const rest = { ...w };
      delete rest[key];
      return (w[key] as Schema[]).flatMap((branch) =>
        covers(typeof branch === 'object' ? { ...rest, ...branch } : branch, reader, path),
      );
    }
  }
  // A writer with several types: each type on its own.
  const wTypes = typesOf(w);
  if (wTypes && wTypes.size > 1 && w.enum === undefined && w.const === undefined) {
    return [...wTypes].flatMap((t) => covers({ ...w, type: t }, reader, path));
  }
  // Alternatives of the reader: one must cover the writer.
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(r[key])) {
      const rest = { ...r };
      delete rest[key];
      const branches = r[key] as Schema[];
      const results = branches.map((b) => covers(writer, typeof b === 'object' ? { ...rest, ...b } : b, path));
      if (results.some((p) => p.length === 0)) return [];
      return [`${path}: not covered by any alternative of the reader (${results[0]?.[0] ?? 'no alternative'})`];
    }
  }
  for (const key of Object.keys(r)) {
    if (!HANDLED.has(key) && !equal(w[key], r[key])) {
      return [`${path}: cannot compare the reader's ${JSON.stringify(key)} (changed); keep it unchanged`];
    }
  }
  // Enumerated writers: check every value.
  const values = w.const !== undefined ? [w.const] : Array.isArray(w.enum) ? (w.enum as unknown[]) : undefined;
  if (values) {
    return values.flatMap((v) => {
      const why = invalid(v, r);
      return why ? [`${path}: value ${JSON.stringify(v)} ${why}`] : [];
    });
  }
  if (r.enum !== undefined || r.const !== undefined) return [`${path}: the reader only accepts listed values`];
  const problems: string[] = [];
  const rTypes = typesOf(r);
  const wType = wTypes ? [...wTypes][0] : undefined;
  if (rTypes) {
    if (!wType) return [`${path}: the writer has no type; the reader requires ${[...rTypes].join(' or ')}`];
    if (!typeAllowed(rTypes, wType))
      return [`${path}: type ${wType} is no longer accepted (${[...rTypes].join(', ')})`];
  }
  const t = wType ?? (rTypes ? [...rTypes][0] : undefined);
  const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const lower = (k: string, what: string) => {
    const rv = num(r, k);
    const wv = num(w, k);
    if (rv !== undefined && (wv === undefined || wv < rv)) problems.push(`${path}: ${what} ${wv ?? 'none'} → ${rv}`);
  };
  const upper = (k: string, what: string) => {
    const rv = num(r, k);
    const wv = num(w, k);
    if (rv !== undefined && (wv === undefined || wv > rv)) problems.push(`${path}: ${what} ${wv ?? 'none'} → ${rv}`);
  };
  const same = (k: string, what: string) => {
    if (r[k] !== undefined && !equal(r[k], w[k])) problems.push(`${path}: ${what} changed`);
  };
  if (t === 'string') {
    lower('minLength', 'minLength');
    upper('maxLength', 'maxLength');
    same('pattern', 'pattern');
    same('format', 'format');
  }
  if (t === 'number' || t === 'integer') {
    lower('minimum', 'minimum');
    upper('maximum', 'maximum');
    lower('exclusiveMinimum', 'exclusiveMinimum');
    upper('exclusiveMaximum', 'exclusiveMaximum');
    const rm = num(r, 'multipleOf');
    const wm = num(w, 'multipleOf');
    if (rm !== undefined && (wm === undefined || wm % rm !== 0)) problems.push(`${path}: multipleOf ${rm}`);
  }
  if (t === 'array') {
    lower('minItems', 'minItems');
    upper('maxItems', 'maxItems');
    same('prefixItems', 'prefixItems');
    if (r.items !== undefined) problems.push(...covers((w.items as Schema) ?? true, r.items as Schema, `${path}[]`));
  }
  if (t === 'object' || r.properties !== undefined || w.properties !== undefined) {
    const wp = (w.properties ?? {}) as Record<string, Schema>;
    const rp = (r.properties ?? {}) as Record<string, Schema>;
    const wRequired = new Set((w.required ?? []) as string[]);
    for (const name of (r.required ?? []) as string[]) {
      if (!wRequired.has(name)) problems.push(`${path}.${name}: required by the reader, optional or absent before`);
    }
    const extra = r.additionalProperties as Schema | undefined;
    for (const [name, schema] of Object.entries(wp)) {
      const at = `${path}.${name}`;
      if (rp[name] !== undefined) problems.push(...covers(schema, rp[name]!, at));
      else if (extra === false) problems.push(`${at}: no longer accepted (the reader allows no other fields)`);
      else if (extra !== undefined && extra !== true) problems.push(...covers(schema, extra, at));
    }
    const wExtra = w.additionalProperties as Schema | undefined;
    if (wExtra !== undefined && wExtra !== false) {
      if (extra === false) problems.push(`${path}: other fields were accepted, the reader allows none`);
      else if (extra !== undefined) problems.push(...covers(wExtra, extra, `${path}.*`));
    }
  }
  return problems;
}

/** Why `value` is invalid under `schema` (the keywords above), or undefined when it is valid. */
function invalid(value: unknown, schemaIn: Schema): string | undefined {
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
