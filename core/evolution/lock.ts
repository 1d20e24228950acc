import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { Pipeline } from '../definition';
import { StateFormatError } from '../errors';
import { describeLayout, type LayoutDescriptor, parseDescriptor, shortHash } from './descriptor';
import { COMPATIBILITY_MODES, type Compatibility } from './schema-compat';

/**
 * The definition lock file (`<pipeline>.lock.json` beside the definition): what the deployed definition means, kept
 * in the repository and reviewed in pull requests like a schema registry's snapshot. `streamfold check` compares a
 * definition with it, the CDK app does the same at synth, `streamfold check --write` updates it.
 */
export interface DefinitionLock {
  /** Lock format version. */
  readonly streamfold: 1;
  readonly pipeline: string;
  /** Fingerprint of the current state layout (what state items carry). */
  readonly layout: string;
  readonly windows: Readonly<Record<string, LockedWindow>>;
  readonly aggregates: Readonly<Record<string, LockedAggregate>>;
  readonly alerts: Readonly<Record<string, LockedAlert>>;
  /** Field names of key, partition key, dedupe id and event time (`"(function)"` when given as functions). */
  readonly fields: Readonly<Record<'key' | 'partitionKey' | 'id' | 'time', string | null>>;
  readonly settings: { readonly maxFutureSkewMs: number; readonly retentionMs: number; readonly maxStateBytes: number };
  readonly schema: LockedSchema;
  /**
   * Descriptors of the current layout and of earlier ones (newest first, at most {@link LOCK_LAYOUT_HISTORY}): offline
   * tools read state written under them without the state table's registry.
   */
  readonly layouts: readonly LayoutDescriptor[];
}

/** A window in the lock. */
export interface LockedWindow {
  readonly fingerprint: string;
  readonly kind: string;
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly gapMs: number;
  readonly graceMs: number;
  readonly reset: number;
}

/** An aggregate in the lock. */
export interface LockedAggregate {
  readonly fingerprint: string;
  readonly kind: string;
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  readonly reset: number;
  /** Windows it is computed for. */
  readonly windows: readonly string[];
  /** Hash of the source of each user function (extractor `field`, `filter`, a reducer's `init`/`add`/...). */
  readonly sources: Readonly<Record<string, string>>;
}

/** An alert rule in the lock. */
export interface LockedAlert {
  readonly window: string;
  /** Hash of the source of `when`. */
  readonly source: string | null;
}

/** The event schema in the lock. */
export interface LockedSchema {
  /** Compatibility mode the next definition is checked with. */
  readonly compatibility: Compatibility;
  /** The schema as JSON Schema (input side: what producers send); null when it has none (not a zod schema). */
  readonly jsonSchema: Record<string, unknown> | null;
  /** Why `jsonSchema` is null. */
  readonly note?: string;
}

/** Layout descriptors a lock keeps. */
export const LOCK_LAYOUT_HISTORY = 20;

/** Hashes a function's source (see lib/definition-check.ts: canonical source, so bundlers' printing does not matter). */
export type SourceHasher = (fn: (...args: never[]) => unknown) => string;

/** The default {@link SourceHasher}: the function's text without whitespace (8 characters of its hash). */
export const plainSourceHash: SourceHasher = (fn) => shortHash(String(fn).replace(/\s+/g, '')).slice(0, 8);

/** Options of {@link lockOf}. */
export interface LockOptions {
  /** @default plainSourceHash */
  readonly hashSource?: SourceHasher;
  /** @default - the previous lock's mode, else 'BACKWARD' */
  readonly compatibility?: Compatibility;
  /** The lock this one replaces: its layouts are kept as history. */
  readonly previous?: DefinitionLock;
}

/** The JSON Schema of an event schema (input side), when the schema can give one (zod 4 does). */
export function eventJsonSchema(schema: StandardSchemaV1): {
  jsonSchema: Record<string, unknown> | null;
  note?: string;
} {
  const standard = schema['~standard'] as StandardSchemaV1['~standard'] & {
    jsonSchema?: { input?: (options: { target: string; libraryOptions?: Record<string, unknown> }) => unknown };
  };
  const vendor = standard.vendor;
  if (typeof standard.jsonSchema?.input !== 'function') {
    return {
      jsonSchema: null,
      note: `the event schema (${vendor}) gives no JSON Schema: schema changes cannot be compared (use zod to have them checked)`,
    };
  }
  try {
    const json = standard.jsonSchema.input({ target: 'draft-2020-12', libraryOptions: { unrepresentable: 'any' } });
    return { jsonSchema: JSON.parse(JSON.stringify(json)) as Record<string, unknown> };
  } catch (error) {
    return {
      jsonSchema: null,
      note: `the event schema could not be converted to JSON Schema: ${(error as Error).message}`,
    };
  }
}

/** The lock of a pipeline definition as it is now. */
export function lockOf(pipeline: Pipeline, options: LockOptions = {}): DefinitionLock {
  const hash = options.hashSource ?? plainSourceHash;
  const descriptor = describeLayout(pipeline);
  const windows: Record<string, LockedWindow> = {};
  for (const w of descriptor.windows) {
    windows[w.name] = {
      fingerprint: w.fingerprint,
      kind: w.kind,
      sizeMs: w.sizeMs,
      advanceMs: w.advanceMs,
      gapMs: w.gapMs,
      graceMs: w.graceMs,
      reset: w.reset,
    };
  }
  const aggregates: Record<string, LockedAggregate> = {};
  pipeline.aggregates.forEach((a, i) => {
    const d = descriptor.aggregates[i]!;
    const sources: Record<string, string> = {};
    for (const [role, fn] of Object.entries(a.spec.meaning?.functions ?? {})) if (fn) sources[role] = hash(fn);
    if (a.spec.filter && !sources.filter) sources.filter = hash(a.spec.filter);
    aggregates[a.name] = {
      fingerprint: d.fingerprint,
      kind: d.kind,
      ...(d.options ? { options: d.options } : {}),
      reset: d.reset,
      windows: [...a.windows],
      sources,
    };
  });
  const alerts: Record<string, LockedAlert> = {};
  for (const a of pipeline.alerts) alerts[a.name] = { window: a.window, source: hash(a.when) };
  const field = (name: string | undefined, given: boolean) => (given ? (name ?? '(function)') : null);
  const { jsonSchema, note } = eventJsonSchema(pipeline.schema);
  const previous = options.previous;
  return {
    streamfold: 1,
    pipeline: pipeline.name,
    layout: descriptor.fingerprint,
    windows,
    aggregates,
    alerts,
    fields: {
      key: field(pipeline.fields.key, true),
      partitionKey: field(pipeline.fields.partitionKey, true),
      id: field(pipeline.fields.id, pipeline.idOf !== undefined),
      time: field(pipeline.fields.time, true),
    },
    settings: { ...pipeline.settings },
    schema: {
      compatibility: options.compatibility ?? previous?.schema.compatibility ?? 'BACKWARD',
      jsonSchema,
      ...(note ? { note } : {}),
    },
    layouts: [descriptor, ...(previous?.layouts ?? []).filter((d) => d.fingerprint !== descriptor.fingerprint)].slice(
      0,
      LOCK_LAYOUT_HISTORY,
    ),
  };
}

/**
 * Read a lock file's JSON.
 * @throws StateFormatError naming what is wrong.
 */
export function parseLock(text: string, where = 'lock file'): DefinitionLock {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`${where} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const lock = value as DefinitionLock;
  const fail = (why: string) => new StateFormatError(`${where} is not a streamfold definition lock: ${why}`);
  if (!lock || typeof lock !== 'object' || lock.streamfold !== 1) throw fail('no "streamfold": 1');
  if (typeof lock.pipeline !== 'string') throw fail('no pipeline name');
  for (const section of ['windows', 'aggregates', 'alerts', 'fields', 'settings', 'schema'] as const) {
    if (!lock[section] || typeof lock[section] !== 'object') throw fail(`no "${section}" object`);
  }
  if (!COMPATIBILITY_MODES.includes(lock.schema.compatibility)) {
    throw fail(
      `schema.compatibility ${JSON.stringify(lock.schema.compatibility)} is not one of ${COMPATIBILITY_MODES.join(', ')}`,
    );
  }
  if (!Array.isArray(lock.layouts)) throw fail('no "layouts" list');
  try {
    lock.layouts.forEach(parseDescriptor);
  } catch (error) {
    throw fail((error as Error).message);
  }
  return lock;
}

/**
 * A lock as written to disk: two-space JSON, objects one member a line, arrays on one line when they fit in 120
 * columns (as common formatters print JSON), and a final newline: stable, reviewable diffs.
 */
export function formatLock(lock: DefinitionLock): string {
  return `${printJson(lock, 0, 0)}\n`;
}

const LINE_WIDTH = 120;

function printJson(value: unknown, indent: number, used: number): string {
  const pad = ' '.repeat(indent + 2);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    if (used + flat.length <= LINE_WIDTH && !flat.includes('{')) return flat;
    return `[\n${value.map((v) => `${pad}${printJson(v, indent + 2, pad.length)}`).join(',\n')}\n${' '.repeat(indent)}]`;
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    const lines = entries.map(([k, v]) => {
      const head = `${pad}${JSON.stringify(k)}: `;
      return `${head}${printJson(v, indent + 2, head.length + 1)}`;
    });
    return `{\n${lines.join(',\n')}\n${' '.repeat(indent)}}`;
  }
  return JSON.stringify(value);
}
