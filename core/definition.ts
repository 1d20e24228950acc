import { isDeepStrictEqual } from 'node:util';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import {
  type AggregateBuilders,
  type AggregateOf,
  type AggregateSpec,
  type AnyAggregate,
  aggregateBuilders,
  type ResultOf,
} from './aggregates';
import { MAX_STATE_BYTES } from './contract';
import { type DeploySettings, deploySection } from './deploy-settings';
import { type Duration, parseDuration } from './duration';
import { DefinitionError, quote } from './errors';
import { type NormalizedResets, normalizeResets, type Resets } from './evolution/resets';
import { toEventTime } from './iso-time';
import type { WindowSpec } from './windows';

/** The validated output type of a Standard Schema (zod 4 schemas are Standard Schemas). */
export type InferEvent<S> = S extends StandardSchemaV1<any, infer O> ? O : never;

/** A field name of `E` or a function of the event. */
export type FieldOrFn<E, T> = (keyof E & string) | ((event: E) => T);

/** The results of the aggregates that apply to window `K` (all-window aggregates included). */
export type ValuesFor<A, K extends string> = {
  -readonly [N in keyof A as A[N] extends AggregateSpec<any, any, any, infer W>
    ? [W] extends [never]
      ? N
      : K extends W
        ? N
        : never
    : never]: ResultOf<A[N]>;
};

/** Where an alert fired: the key and the window. Passed to `when` as its second argument. */
export interface AlertContext {
  readonly key: string;
  readonly window: string;
  readonly start: number;
  readonly end: number;
}

/** An alert rule over one window's aggregate values. */
export interface AlertRule<K extends string, V> {
  /** The window whose values the rule reads. */
  readonly window: K;
  /**
   * True when the alert condition holds. It fires once per window and key, on the first false → true transition.
   * A pure function of its arguments: it must not modify or keep `values` (the engine shares one values object
   * between window instances holding the same states, and computes each value when it is first read).
   */
  readonly when: (values: V, context: AlertContext) => boolean;
  /**
   * Human-readable description carried in alert messages.
   * @default - none
   */
  readonly description?: string;
}

/** Alert rules keyed by name; each names one window and sees exactly that window's aggregate results. */
export type AlertRules<W, A> = Record<
  string,
  { [K in keyof W & string]: AlertRule<K, ValuesFor<A, K>> }[keyof W & string]
>;

/**
 * Builds one alert rule with the window's aggregate results typed; passed to the `alerts` function of a definition.
 *
 * @example alerts: (rule) => ({ 'potential-bot': rule('perMinute', (a) => a.events > 100) })
 */
export type RuleBuilder<WN extends string, A> = <K extends WN>(
  window: K,
  when: (values: ValuesFor<A, K>, context: AlertContext) => boolean,
  options?: { readonly description?: string },
) => AlertRule<K, ValuesFor<A, K>>;

const ruleBuilder = (window: string, when: unknown, options?: { description?: string }) => ({
  window,
  when,
  description: options?.description,
});

/** Pipeline-level settings. */
export interface PipelineSettings {
  /**
   * Reject events whose event time is further ahead than this of the record's arrival time (Kinesis
   * approximateArrivalTimestamp, MSK timestamp; in an offline replay, the `arrivalTime` or `arrivedBy` option). A
   * far-future event would otherwise advance stream time and make every other event late. At most the
   * smallest grace of the windows: then no single record moves stream time beyond its arrival plus a skew that a
   * grace absorbs (docs/architecture.md §2.7). A larger value fails the definition.
   * @default - the smallest grace of the pipeline's windows
   */
  readonly maxFutureSkew?: Duration;
  /**
   * How long window state is kept after a window is final (end + grace), before DynamoDB TTL removes it.
   * @default '1d'
   */
  readonly retention?: Duration;
  /**
   * Largest window state of one key, in UTF-8 bytes of its JSON. A record that would make its key's state larger is
   * rejected with reason `state-too-large` (replay and the processor alike), so one hot key never blocks its source.
   * At most 300,000 (a DynamoDB item holds 400 KB, and also carries the results and alerts of its write).
   * @default 200000
   */
  readonly maxStateBytes?: number;
}

/** What {@link definePipeline} takes. */
export interface PipelineInput<
  S extends StandardSchemaV1,
  W extends Record<string, WindowSpec>,
  A extends Record<string, AggregateOf<InferEvent<S>>>,
> {
  /** Pipeline name: lowercase letters, digits and dashes (it names AWS resources), at most 40 characters. */
  readonly name: string;
  /** Event schema: a zod schema or any synchronous Standard Schema. Invalid events are rejected with the issues. */
  readonly schema: S;
  /**
   * Dedupe id: events with an id already seen (from another record) are dropped and counted as duplicates.
   * @default - no dedupe (no idempotency writes)
   */
  readonly id?: FieldOrFn<InferEvent<S>, string>;
  /** Aggregation key: window state is kept per key. */
  readonly key: FieldOrFn<InferEvent<S>, string>;
  /**
   * Partition key for producers (Kinesis) / message key (MSK).
   * @default - the aggregation key (required for ParallelizationFactor > 1, see docs/architecture.md §2.10)
   */
  readonly partitionKey?: FieldOrFn<InferEvent<S>, string>;
  /**
   * Event time: epoch milliseconds, a Date, or a strict ISO-8601 string (`2026-01-01`, or a date-time with an
   * optional fraction and `Z` or `±HH:MM`; see `parseIsoTime`); a field or a function. Anything else, and
   * impossible dates such as Feb 30, is rejected as `invalid-time`.
   */
  readonly time: FieldOrFn<InferEvent<S>, number | string | Date>;
  /** Named windows. */
  readonly windows: W;
  /**
   * Named aggregates; each applies to all windows unless it lists `windows`. Either an object of aggregates, or a
   * function that receives the builders typed for this pipeline's events and windows (best inference).
   *
   * @example aggregates: ({ count, distinct }) => ({ events: count(), types: distinct((e) => e.type) })
   */
  readonly aggregates: A | ((builders: AggregateBuilders<InferEvent<S>, keyof W & string>) => A);
  /**
   * Named alert rules: an object of `{ window, when }` rules, or (for typed aggregate results) a function that
   * receives a rule builder.
   *
   * @example alerts: (rule) => ({ 'potential-bot': rule('perMinute', (a) => a.events > 100) })
   * @default - no alerts
   */
  readonly alerts?: AlertRules<W, A> | ((rule: RuleBuilder<keyof W & string, A>) => AlertRules<W, A>);
  /**
   * Pipeline settings.
   * @default - see {@link PipelineSettings}
   */
  readonly settings?: PipelineSettings;
  /**
   * Deploy settings (batch size, data lake partition field, warehouse, alarm thresholds...): cdk.json context
   * overrides them key by key.
   * @default - the constructs' defaults
   */
  readonly deploy?: DeploySettings;
  /**
   * Declared resets: per window or aggregate, a reset generation; bump it to start that window or aggregate over
   * (how a change the lock check calls incompatible is declared). See README "Changing a pipeline".
   * @example resets: { windows: { perMinute: 1 } }
   * @default - no resets
   */
  readonly resets?: Resets<keyof W & string, keyof A & string>;
}

/** A window after validation, durations in ms. */
export interface NormalizedWindow {
  readonly name: string;
  readonly index: number;
  readonly kind: WindowSpec['kind'];
  /** Tumbling/hopping size; 0 for sessions. */
  readonly sizeMs: number;
  /** Hopping advance (= size for tumbling); 0 for sessions. */
  readonly advanceMs: number;
  /** Session inactivity gap; 0 otherwise. */
  readonly gapMs: number;
  readonly graceMs: number;
  /** Indexes (into {@link Pipeline.aggregates}) of the aggregates computed for this window. */
  readonly aggregates: readonly number[];
}

/** An aggregate after validation. */
export interface NormalizedAggregate {
  readonly name: string;
  readonly index: number;
  readonly spec: AnyAggregate;
  /** Names of the windows it applies to. */
  readonly windows: readonly string[];
}

/** An alert rule after validation. */
export interface NormalizedAlert {
  readonly name: string;
  readonly window: string;
  readonly windowIndex: number;
  readonly description?: string;
  readonly when: (values: Record<string, unknown>, context: AlertContext) => boolean;
}

/** A validated pipeline definition: what the engine, the handlers, the CDK constructs and the CLI read. */
export interface Pipeline<E = any, W extends Record<string, WindowSpec> = any, A = any> {
  readonly name: string;
  readonly schema: StandardSchemaV1<unknown, E>;
  readonly windows: readonly NormalizedWindow[];
  readonly aggregates: readonly NormalizedAggregate[];
  readonly alerts: readonly NormalizedAlert[];
  /** Slice size shared by all tumbling and hopping windows (gcd of sizes and advances); undefined when none. */
  readonly sliceMs: number | undefined;
  readonly keyOf: (event: E) => string;
  readonly partitionKeyOf: (event: E) => string;
  readonly idOf: ((event: E) => string) | undefined;
  /** Event time in ms; NaN when the value cannot be read as a time. */
  readonly timeOf: (event: E) => number;
  /** Field names when given as fields (the CDK app compares key and partition key). */
  readonly fields: {
    readonly key?: string;
    readonly partitionKey?: string;
    readonly id?: string;
    readonly time?: string;
  };
  /** True when the partition key is the aggregation key (same field, or partitionKey not set). */
  readonly partitionedByKey: boolean;
  readonly settings: {
    readonly maxFutureSkewMs: number;
    readonly retentionMs: number;
    readonly maxStateBytes: number;
  };
  /** The validated `deploy` section (empty when not given): read by the CDK constructs. */
  readonly deploy: DeploySettings;
  /** Declared reset generations per window and aggregate name (see {@link PipelineInput.resets}). */
  readonly resets?: NormalizedResets;
  /** Type carrier for inference; not a runtime value. */
  readonly $types?: { event: E; windows: W; aggregates: A };
}

const NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
const MEMBER_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_SLICES_PER_WINDOW = 1440;

function duration(setting: string, value: unknown, { min = 0 }: { min?: number } = {}): number {
  let ms: number;
  try {
    ms = parseDuration(value as Duration);
  } catch (error) {
    throw new DefinitionError(setting, (error as Error).message, { cause: error });
  }
  if (ms < min) {
    throw new DefinitionError(
      setting,
      min === 0 ? `must not be negative, got ${quote(value)}` : `must be at least ${min} ms, got ${quote(value)}`,
    );
  }
  return ms;
}

function accessor<E, T>(setting: string, value: unknown): { fn: (event: E) => T; field?: string } {
  if (typeof value === 'function') return { fn: value as (event: E) => T };
  if (typeof value === 'string' && value.length > 0) {
    const field = value;
    return { fn: (event: E) => (event as Record<string, unknown>)[field] as T, field };
  }
  throw new DefinitionError(setting, `expected a field name or a function of the event, got ${quote(value)}`);
}

function stringKey<E>(setting: string, value: unknown): { fn: (event: E) => string; field?: string } {
  const { fn, field } = accessor<E, unknown>(setting, value);
  return {
    field,
    fn: (event: E) => {
      const v = fn(event);
      return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
    },
  };
}

function maxStateBytes(value: unknown): number {
  if (value === undefined) return MAX_STATE_BYTES;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1024 || value > 300_000) {
    throw new DefinitionError(
      'settings.maxStateBytes',
      `expected a whole number of bytes from 1024 to 300000, got ${quote(value)}`,
    );
  }
  return value;
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y) [x, y] = [y, x % y];
  return x;
}

function checkUnique(section: string, names: string[]): void {
  const seen = new Map<string, string>();
  for (const name of names) {
    if (!MEMBER_RE.test(name)) {
      throw new DefinitionError(
        `${section}.${name}`,
        `names must start with a letter and hold only letters, digits, '_' or '-' (at most 64), got ${quote(name)}`,
      );
    }
    const folded = name.toLowerCase();
    const other = seen.get(folded);
    if (other !== undefined) {
      throw new DefinitionError(
        `${section}.${name}`,
        `duplicate name: ${quote(name)} and ${quote(other)} differ only in case (warehouse columns are case-insensitive)`,
      );
    }
    seen.set(folded, name);
  }
}

function normalizeWindows(windows: Record<string, WindowSpec>): NormalizedWindow[] {
  if (!windows || typeof windows !== 'object' || Object.keys(windows).length === 0) {
    throw new DefinitionError('windows', `define at least one window, got ${quote(windows)}`);
  }
  checkUnique('windows', Object.keys(windows));
  return Object.entries(windows).map(([name, spec], index) => {
    const at = `windows.${name}`;
    if (!spec || typeof spec !== 'object') {
      throw new DefinitionError(at, `expected tumbling(), hopping() or session(), got ${quote(spec)}`);
    }
    const graceMs = duration(`${at}.grace`, spec.grace ?? 0);
    switch (spec.kind) {
      case 'tumbling': {
        const sizeMs = duration(`${at}.size`, spec.size, { min: 1 });
        return { name, index, kind: 'tumbling', sizeMs, advanceMs: sizeMs, gapMs: 0, graceMs, aggregates: [] };
      }
      case 'hopping': {
        const sizeMs = duration(`${at}.size`, spec.size, { min: 1 });
        const advanceMs = duration(`${at}.advance`, spec.advance, { min: 1 });
        if (advanceMs > sizeMs) {
          throw new DefinitionError(
            `${at}.advance`,
            `advance ${quote(spec.advance)} is larger than size ${quote(spec.size)}: events would fall between windows`,
          );
        }
        return { name, index, kind: 'hopping', sizeMs, advanceMs, gapMs: 0, graceMs, aggregates: [] };
      }
      case 'session': {
        const gapMs = duration(`${at}.gap`, spec.gap, { min: 1 });
        return { name, index, kind: 'session', sizeMs: 0, advanceMs: 0, gapMs, graceMs, aggregates: [] };
      }
      default:
        throw new DefinitionError(
          `${at}.kind`,
          `expected 'tumbling', 'hopping' or 'session', got ${quote((spec as { kind?: unknown }).kind)}`,
        );
    }
  });
}

function checkSerialisable(setting: string, value: unknown): void {
  let copy: unknown;
  try {
    const text = JSON.stringify(value);
    copy = text === undefined ? undefined : JSON.parse(text);
  } catch (error) {
    throw new DefinitionError(setting, `init() state is not JSON-serialisable: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (value === undefined || !isDeepStrictEqual(copy, value)) {
    throw new DefinitionError(
      setting,
      `init() state ${quote(value)} does not survive a JSON round trip (state is stored in DynamoDB as JSON): use plain objects, arrays, strings, finite numbers, booleans and null`,
    );
  }
}

function normalizeAggregates(aggregates: Record<string, AnyAggregate>, windows: NormalizedWindow[]) {
  if (!aggregates || typeof aggregates !== 'object' || Object.keys(aggregates).length === 0) {
    throw new DefinitionError('aggregates', `define at least one aggregate, got ${quote(aggregates)}`);
  }
  checkUnique('aggregates', Object.keys(aggregates));
  const byName = new Map(windows.map((w) => [w.name, w]));
  return Object.entries(aggregates).map(([name, spec], index): NormalizedAggregate => {
    const at = `aggregates.${name}`;
    if (
      !spec ||
      typeof spec !== 'object' ||
      typeof spec.init !== 'function' ||
      typeof spec.add !== 'function' ||
      typeof spec.merge !== 'function' ||
      typeof spec.result !== 'function'
    ) {
      throw new DefinitionError(
        at,
        `expected an aggregate such as count(), sum(f) or reducer({...}), got ${quote(spec)}`,
      );
    }
    if (spec.filter !== undefined && typeof spec.filter !== 'function') {
      throw new DefinitionError(`${at}.filter`, `expected a function of the event, got ${quote(spec.filter)}`);
    }
    checkSerialisable(`${at}.init`, spec.init());
    const names = spec.windows === undefined ? windows.map((w) => w.name) : [...spec.windows];
    if (names.length === 0) throw new DefinitionError(`${at}.windows`, 'lists no window: omit it to apply to all');
    for (const w of names) {
      if (!byName.has(w)) {
        throw new DefinitionError(
          `${at}.windows`,
          `unknown window ${quote(w)}; defined windows: ${windows.map((x) => x.name).join(', ')}`,
        );
      }
      (byName.get(w)!.aggregates as number[]).push(index);
    }
    return { name, index, spec, windows: names };
  });
}

function normalizeAlerts(alerts: Record<string, unknown> | undefined, windows: NormalizedWindow[]): NormalizedAlert[] {
  if (alerts === undefined) return [];
  if (!alerts || typeof alerts !== 'object')
    throw new DefinitionError('alerts', `expected an object, got ${quote(alerts)}`);
  checkUnique('alerts', Object.keys(alerts));
  return Object.entries(alerts).map(([name, rule]) => {
    const at = `alerts.${name}`;
    const r = rule as Partial<AlertRule<string, unknown>>;
    const window = windows.find((w) => w.name === r?.window);
    if (!window) {
      throw new DefinitionError(
        `${at}.window`,
        `unknown window ${quote(r?.window)}; defined windows: ${windows.map((w) => w.name).join(', ')}`,
      );
    }
    if (typeof r.when !== 'function')
      throw new DefinitionError(`${at}.when`, `expected a function, got ${quote(r.when)}`);
    return {
      name,
      window: window.name,
      windowIndex: window.index,
      description: r.description,
      when: r.when as NormalizedAlert['when'],
    };
  });
}

/**
 * Define a pipeline: schema, keys, event time, windows, aggregates and alerts. Validates everything at once and
 * throws a {@link DefinitionError} naming the setting and the bad value.
 *
 * @example
 * const pipeline = definePipeline({
 *   name: 'clickstream',
 *   schema: z.object({ eventId: z.string(), userId: z.string(), ts: z.iso.datetime() }),
 *   id: 'eventId',
 *   key: 'userId',
 *   time: 'ts',
 *   windows: { perMinute: tumbling('1m', { grace: '5m' }) },
 *   aggregates: { events: count() },
 *   alerts: { 'potential-bot': { window: 'perMinute', when: (a) => a.events > 100 } },
 * });
 */
export function definePipeline<
  S extends StandardSchemaV1,
  const W extends Record<string, WindowSpec>,
  A extends Record<string, AggregateOf<InferEvent<S>>>,
>(input: PipelineInput<S, W, A>): Pipeline<InferEvent<S>, W, A> {
  type E = InferEvent<S>;
  const schema = namedSchema<E>(input);
  const key = stringKey<E>('key', input.key);
  const partitionKey = input.partitionKey === undefined ? key : stringKey<E>('partitionKey', input.partitionKey);
  const id = input.id === undefined ? undefined : stringKey<E>('id', input.id);
  const time = accessor<E, unknown>('time', input.time);
  const windows = normalizeWindows(input.windows);
  const aggregateInput =
    typeof input.aggregates === 'function' ? input.aggregates(aggregateBuilders) : (input.aggregates as unknown);
  const aggregates = normalizeAggregates(aggregateInput as Record<string, AnyAggregate>, windows);
  checkEveryWindowAggregated(windows);
  const alertInput = typeof input.alerts === 'function' ? input.alerts(ruleBuilder as never) : input.alerts;
  const alerts = normalizeAlerts(alertInput as Record<string, unknown> | undefined, windows);
  const sliceMs = sliceMsOf(windows);
  const settings = input.settings ?? {};
  const resets = normalizeResets(
    input.resets,
    windows.map((w) => w.name),
    aggregates.map((a) => a.name),
  );
  return {
    name: input.name,
    schema,
    windows,
    aggregates,
    alerts,
    sliceMs,
    keyOf: key.fn,
    partitionKeyOf: partitionKey.fn,
    idOf: id?.fn,
    timeOf: (event: E) => toEventTime(time.fn(event)),
    fields: { key: key.field, partitionKey: partitionKey.field, id: id?.field, time: time.field },
    partitionedByKey:
      input.partitionKey === undefined ||
      input.partitionKey === input.key ||
      (key.field !== undefined && key.field === partitionKey.field),
    settings: {
      maxFutureSkewMs: maxFutureSkew(settings.maxFutureSkew, windows, input.windows),
      retentionMs: duration('settings.retention', settings.retention ?? '1d'),
      maxStateBytes: maxStateBytes(settings.maxStateBytes),
    },
    deploy: deploySection(input.deploy),
    resets,
  };
}

/**
 * The input's schema, once the input is an object with a valid name and a Standard Schema.
 * @throws DefinitionError naming `pipeline`, `name` or `schema`.
 */
function namedSchema<E>(input: unknown): StandardSchemaV1<unknown, E> {
  if (!input || typeof input !== 'object')
    throw new DefinitionError('pipeline', `expected an object, got ${quote(input)}`);
  const { name, schema } = input as { name?: unknown; schema?: StandardSchemaV1<unknown, E> };
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new DefinitionError(
      'name',
      `must be 1-40 lowercase letters, digits or dashes, starting with a letter (it names AWS resources), got ${quote(name)}`,
    );
  }
  if (!schema || typeof schema['~standard']?.validate !== 'function') {
    throw new DefinitionError('schema', `expected a zod schema or another Standard Schema, got ${quote(schema)}`);
  }
  return schema;
}

/** @throws DefinitionError naming a window no aggregate applies to. */
function checkEveryWindowAggregated(windows: readonly NormalizedWindow[]): void {
  for (const w of windows) {
    if (w.aggregates.length === 0) {
      throw new DefinitionError(
        `windows.${w.name}`,
        'no aggregate applies to this window: add one or remove the window',
      );
    }
  }
}

/**
 * The slice size of the time windows (the gcd of their sizes and advances); undefined when there is none.
 * @throws DefinitionError naming a window that would need more than {@link MAX_SLICES_PER_WINDOW} slices.
 */
function sliceMsOf(windows: readonly NormalizedWindow[]): number | undefined {
  const timed = windows.filter((w) => w.kind !== 'session');
  const sliceMs = timed.length === 0 ? undefined : timed.reduce((g, w) => gcd(gcd(g, w.sizeMs), w.advanceMs), 0);
  for (const w of timed) {
    if (sliceMs !== undefined && w.sizeMs / sliceMs > MAX_SLICES_PER_WINDOW) {
      throw new DefinitionError(
        `windows.${w.name}.size`,
        `needs ${w.sizeMs / sliceMs} slices of ${sliceMs} ms (the gcd of all window sizes and advances); at most ${MAX_SLICES_PER_WINDOW}: align sizes and advances to a common unit`,
      );
    }
  }
  return sliceMs;
}

/**
 * `settings.maxFutureSkew` in ms: at most the smallest grace of the windows (docs/architecture.md §2.7), which is the default.
 * An event ahead of its arrival by no more than the smallest grace moves stream time by less than any window's grace,
 * so it cannot make an on-time event of another key late.
 */
function maxFutureSkew(value: Duration | undefined, windows: NormalizedWindow[], specs: Record<string, WindowSpec>) {
  const smallest = windows.reduce((a, b) => (b.graceMs < a.graceMs ? b : a));
  if (value === undefined) return smallest.graceMs;
  const ms = duration('settings.maxFutureSkew', value);
  if (ms > smallest.graceMs) {
    const grace = quote(specs[smallest.name]?.grace ?? 0);
    throw new DefinitionError(
      'settings.maxFutureSkew',
      `${quote(value)} is larger than the smallest grace, ${grace} (windows.${smallest.name}.grace): one event that far ahead of its arrival would move stream time past the grace and make on-time events of other keys late; use at most ${grace}, or leave it unset (default: the smallest grace)`,
    );
  }
  return ms;
}
