import { equal, HANDLED, invalid, type Schema, strip, typeAllowed, typesOf } from './json-schema';
import { lowerBound, numberProblems, sameKeyword, stringProblems, upperBound } from './schema-bounds';

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

type Node = Record<string, unknown>;

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

/**
 * Problems with "every instance of `writer` (closed content model) is valid under `reader`"; empty when it holds.
 */
export function covers(writerIn: Schema, readerIn: Schema, path: string): string[] {
  const writer = strip(writerIn);
  const reader = strip(readerIn);
  const w = writer as Node;
  const r = reader as Node;
  return (
    trivialCover(writer, reader, path) ??
    writerCases(w, r, path) ??
    readerAlternatives(w, r, path) ??
    unhandledKeyword(w, r, path) ??
    enumeratedCover(w, r, path) ??
    typedCover(w, r, path)
  );
}

/** Covers decided without looking inside: an empty or boolean schema, or equal schemas. */
function trivialCover(writer: Schema, reader: Schema, path: string): string[] | undefined {
  if (reader === true || (typeof reader === 'object' && Object.keys(reader).length === 0)) return [];
  if (writer === false) return [];
  if (reader === false) return [`${path}: the reader accepts nothing`];
  if (writer === true || Object.keys(writer).length === 0) return [`${path}: any value was allowed, now restricted`];
  if (equal(writer, reader)) return [];
  return undefined;
}

/** A writer of alternatives, or of several types: each alternative, each type must be covered on its own. */
function writerCases(w: Node, reader: Node, path: string): string[] | undefined {
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(w[key])) {
      const rest = { ...w };
      delete rest[key];
      return (w[key] as Schema[]).flatMap((branch) =>
        covers(typeof branch === 'object' ? { ...rest, ...branch } : branch, reader, path),
      );
    }
  }
  const wTypes = typesOf(w);
  if (wTypes && wTypes.size > 1 && w.enum === undefined && w.const === undefined) {
    return [...wTypes].flatMap((t) => covers({ ...w, type: t }, reader, path));
  }
  return undefined;
}

/** A reader of alternatives: one must cover the writer. */
function readerAlternatives(writer: Node, r: Node, path: string): string[] | undefined {
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
  return undefined;
}

/** A reader keyword the check cannot compare covers only when unchanged. */
function unhandledKeyword(w: Node, r: Node, path: string): string[] | undefined {
  for (const key of Object.keys(r)) {
    if (!HANDLED.has(key) && !equal(w[key], r[key])) {
      return [`${path}: cannot compare the reader's ${JSON.stringify(key)} (changed); keep it unchanged`];
    }
  }
  return undefined;
}

/** An enumerated writer (`const`, `enum`): every value is checked; a reader of listed values needs one. */
function enumeratedCover(w: Node, r: Node, path: string): string[] | undefined {
  const values = w.const !== undefined ? [w.const] : Array.isArray(w.enum) ? (w.enum as unknown[]) : undefined;
  if (values) {
    return values.flatMap((v) => {
      const why = invalid(v, r);
      return why ? [`${path}: value ${JSON.stringify(v)} ${why}`] : [];
    });
  }
  if (r.enum !== undefined || r.const !== undefined) return [`${path}: the reader only accepts listed values`];
  return undefined;
}

/** The writer's type must be accepted, then the keywords of that type within the reader's. */
function typedCover(w: Node, r: Node, path: string): string[] {
  const wTypes = typesOf(w);
  const rTypes = typesOf(r);
  const wType = wTypes ? [...wTypes][0] : undefined;
  if (rTypes) {
    if (!wType) return [`${path}: the writer has no type; the reader requires ${[...rTypes].join(' or ')}`];
    if (!typeAllowed(rTypes, wType))
      return [`${path}: type ${wType} is no longer accepted (${[...rTypes].join(', ')})`];
  }
  const t = wType ?? (rTypes ? [...rTypes][0] : undefined);
  const problems: string[] = [];
  if (t === 'string') problems.push(...stringProblems(w, r, path));
  if (t === 'number' || t === 'integer') problems.push(...numberProblems(w, r, path));
  if (t === 'array') problems.push(...arrayProblems(w, r, path));
  if (t === 'object' || r.properties !== undefined || w.properties !== undefined) {
    problems.push(...objectProblems(w, r, path));
  }
  return problems;
}

/** Problems of an array writer: item count bounds, `prefixItems` unchanged, items covered. */
function arrayProblems(w: Node, r: Node, path: string): string[] {
  return [
    ...lowerBound(w, r, 'minItems', path),
    ...upperBound(w, r, 'maxItems', path),
    ...sameKeyword(w, r, 'prefixItems', path),
    ...(r.items !== undefined ? covers((w.items as Schema) ?? true, r.items as Schema, `${path}[]`) : []),
  ];
}

/** Problems of an object writer: required fields, each field covered, other fields. */
function objectProblems(w: Node, r: Node, path: string): string[] {
  const problems: string[] = [];
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
  return problems;
}
