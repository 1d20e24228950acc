import { createHash } from 'node:crypto';
import type { AnyAggregate } from '../aggregates';
import type { NormalizedWindow, Pipeline } from '../definition';
import { StateFormatError } from '../errors';

/**
 * Layout descriptors: what stored state means. A key's state stores aggregate states in arrays aligned with
 * positions (slices with the timed aggregates, sessions and closed windows with their window's aggregates, fired
 * alerts by index). The descriptor names every position and fingerprints its meaning, so state written under one
 * definition is read by another by name, never by position (see ./translate.ts).
 *
 * Fingerprints are structural (window kind, size, advance, gap, grace; aggregate kind, options, `init()` state; a
 * declared reset generation): the same in the CLI, the CDK app and the bundled Lambda. The source of user functions
 * is compared by the lock file only (./lock.ts): bundlers print functions differently.
 */

/** A window as stored: name, fingerprint, and the aggregates (indexes into the descriptor's aggregates) it holds. */
export interface WindowDescriptor {
  readonly name: string;
  readonly fingerprint: string;
  readonly kind: NormalizedWindow['kind'];
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly gapMs: number;
  readonly graceMs: number;
  /** Declared reset generation (0 when none). */
  readonly reset: number;
  /** Aggregate indexes, in the order the window's stored arrays use. */
  readonly aggregates: readonly number[];
}

/** An aggregate as stored. */
export interface AggregateDescriptor {
  readonly name: string;
  readonly fingerprint: string;
  readonly kind: string;
  /** Declared reset generation (0 when none). */
  readonly reset: number;
  /** Structural options (`distinct` max, `lastN` n). */
  readonly options?: Readonly<Record<string, string | number | boolean>>;
}

/** An alert as stored (fired marks hold its index). */
export interface AlertDescriptor {
  readonly name: string;
  /** Window index. */
  readonly window: number;
}

/**
 * The meaning of a stored state layout. Stored once per layout in the state table's registry item (pk `#meta`, sk
 * `layout#<fingerprint>`) and in the lock file; each state carries only the 8-character {@link fingerprint}.
 */
export interface LayoutDescriptor {
  readonly v: 1;
  /** 8 characters: a hash of the names, fingerprints and positions below. */
  readonly fingerprint: string;
  /** Slice size shared by tumbling and hopping windows; null when there are none. */
  readonly sliceMs: number | null;
  readonly windows: readonly WindowDescriptor[];
  readonly aggregates: readonly AggregateDescriptor[];
  readonly alerts: readonly AlertDescriptor[];
}

/** 8 characters of the SHA-256 of a JSON value (base64url). */
export function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value), 'utf8').digest('base64url').slice(0, 8);
}

/** Fingerprint of a window's meaning: kind, size, advance, gap, grace and reset generation. */
export function windowFingerprint(w: Omit<WindowDescriptor, 'fingerprint' | 'name' | 'aggregates'>): string {
  return shortHash(['w', w.kind, w.sizeMs, w.advanceMs, w.gapMs, w.graceMs, w.reset]);
}

/** Structural options of an aggregate, keys sorted. */
function optionsOf(spec: AnyAggregate): Record<string, string | number | boolean> | undefined {
  const options = spec.meaning?.options;
  if (!options || Object.keys(options).length === 0) return undefined;
  return Object.fromEntries(
    Object.keys(options)
      .sort()
      .map((k) => [k, options[k]!]),
  );
}

/** Fingerprint of an aggregate's meaning: kind, structural options, `init()` state and reset generation. */
export function aggregateFingerprint(spec: AnyAggregate, reset: number): string {
  return shortHash(['a', spec.kind, optionsOf(spec) ?? null, spec.init(), reset]);
}

/** The descriptor of a pipeline's state layout (timed aggregates in slices are derived from the windows). */
export function describeLayout(pipeline: Pipeline): LayoutDescriptor {
  const resets = pipeline.resets ?? { windows: {}, aggregates: {} };
  const windows = pipeline.windows.map((w): WindowDescriptor => {
    const base = {
      kind: w.kind,
      sizeMs: w.sizeMs,
      advanceMs: w.advanceMs,
      gapMs: w.gapMs,
      graceMs: w.graceMs,
      reset: resets.windows[w.name] ?? 0,
    };
    return { name: w.name, fingerprint: windowFingerprint(base), ...base, aggregates: [...w.aggregates] };
  });
  const aggregates = pipeline.aggregates.map((a): AggregateDescriptor => {
    const reset = resets.aggregates[a.name] ?? 0;
    const options = optionsOf(a.spec);
    return {
      name: a.name,
      fingerprint: aggregateFingerprint(a.spec, reset),
      kind: a.spec.kind,
      reset,
      ...(options ? { options } : {}),
    };
  });
  const alerts = pipeline.alerts.map((a): AlertDescriptor => ({ name: a.name, window: a.windowIndex }));
  return {
    v: 1,
    fingerprint: layoutFingerprint(windows, aggregates, alerts),
    sliceMs: pipeline.sliceMs ?? null,
    windows,
    aggregates,
    alerts,
  };
}

function layoutFingerprint(
  windows: readonly WindowDescriptor[],
  aggregates: readonly AggregateDescriptor[],
  alerts: readonly AlertDescriptor[],
): string {
  return shortHash([
    windows.map((w) => [w.name, w.fingerprint, w.aggregates]),
    aggregates.map((a) => [a.name, a.fingerprint]),
    alerts.map((a) => [a.name, a.window]),
  ]);
}

/** Aggregate indexes stored in slices (those of tumbling and hopping windows), ascending: as the engine lays them. */
export function timedAggregatesOf(descriptor: LayoutDescriptor): number[] {
  const timed = descriptor.windows.filter((w) => w.kind !== 'session').flatMap((w) => w.aggregates);
  return [...new Set(timed)].sort((a, b) => a - b);
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 64;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Read a descriptor from JSON (the registry item, a lock file) and check it is one and that its fingerprint is what
 * its content hashes to.
 * @throws StateFormatError when it is not.
 */
export function parseDescriptor(value: unknown): LayoutDescriptor {
  const bad = (why: string) =>
    new StateFormatError(`not a streamfold layout descriptor (${why}): ${JSON.stringify(value)?.slice(0, 120)}`);
  const d = value as LayoutDescriptor | null;
  if (!d || typeof d !== 'object' || d.v !== 1) throw bad('no version 1');
  if (!Array.isArray(d.windows) || !Array.isArray(d.aggregates) || !Array.isArray(d.alerts)) throw bad('no lists');
  if (d.sliceMs !== null && !(typeof d.sliceMs === 'number' && d.sliceMs > 0)) throw bad('sliceMs');
  for (const w of d.windows) {
    if (!w || !isName(w.name) || typeof w.fingerprint !== 'string') throw bad('window');
    if (!['tumbling', 'hopping', 'session'].includes(w.kind)) throw bad(`window kind ${w.kind}`);
    if (![w.sizeMs, w.advanceMs, w.gapMs, w.graceMs, w.reset].every(isCount)) throw bad(`window ${w.name} times`);
    if (!Array.isArray(w.aggregates) || !w.aggregates.every((i: unknown) => isCount(i) && i < d.aggregates.length)) {
      throw bad(`window ${w.name} aggregates`);
    }
  }
  for (const a of d.aggregates) {
    if (!a || !isName(a.name) || typeof a.fingerprint !== 'string' || typeof a.kind !== 'string')
      throw bad('aggregate');
  }
  for (const a of d.alerts) {
    if (!a || !isName(a.name) || !isCount(a.window) || a.window >= d.windows.length) throw bad('alert');
  }
  if (layoutFingerprint(d.windows, d.aggregates, d.alerts) !== d.fingerprint) throw bad('fingerprint mismatch');
  return d;
}
