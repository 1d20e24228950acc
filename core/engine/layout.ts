import type { AnyAggregate } from '../aggregates';
import type { NormalizedWindow, Pipeline } from '../definition';
import { describeLayout, type LayoutDescriptor } from '../evolution/descriptor';

/**
 * Precomputed positions for a pipeline, so the hot path works with arrays instead of names.
 *
 * Slices hold the state of every aggregate used by a tumbling or hopping window ("timed" aggregates), indexed by
 * their position in `timedAggregates`; each window reads only its own aggregates from them.
 */
export interface Layout {
  readonly pipeline: Pipeline;
  readonly sliceMs: number;
  readonly timedWindows: readonly NormalizedWindow[];
  readonly sessionWindows: readonly NormalizedWindow[];
  /** Aggregate indexes (into pipeline.aggregates) stored in slices. */
  readonly timedAggregates: readonly number[];
  /** For each window index: positions of its aggregates inside a slice (timed windows only). */
  readonly slicePositions: readonly (readonly number[])[];
  /** Alerts grouped by window index. */
  readonly alertsByWindow: readonly (readonly number[])[];
  /** What the positions above mean (names and fingerprints): stored once per layout, referenced by states. */
  readonly descriptor: LayoutDescriptor;
  /** The descriptor's fingerprint, stamped on every state this layout writes (`KeyState.l`). */
  readonly fingerprint: string;
  /** For each window index: the specs of its aggregates, in the window's aggregate order. */
  readonly windowSpecs: readonly (readonly AnyAggregate[])[];
  /** For each window index: the names of its aggregates, in the window's aggregate order. */
  readonly windowAggregateNames: readonly (readonly string[])[];
  /** True when some alert reads a tumbling or hopping window. */
  readonly timedAlerts: boolean;
  /** For each window index: per aggregate of the window, whether it is order-free (see AggregateSpec.orderFree). */
  readonly orderFree: readonly (readonly boolean[])[];
  /** For each window index: whether every aggregate of the window is order-free. */
  readonly windowOrderFree: readonly boolean[];
}

const layouts = new WeakMap<Pipeline, Layout>();

/** The layout of a pipeline (computed once, cached). */
export function layoutOf(pipeline: Pipeline): Layout {
  let layout = layouts.get(pipeline);
  if (layout) return layout;
  const timedWindows = pipeline.windows.filter((w) => w.kind !== 'session');
  const sessionWindows = pipeline.windows.filter((w) => w.kind === 'session');
  const timedAggregates = [...new Set(timedWindows.flatMap((w) => w.aggregates))].sort((a, b) => a - b);
  const slicePositions = pipeline.windows.map((w) =>
    w.kind === 'session' ? [] : w.aggregates.map((a) => timedAggregates.indexOf(a)),
  );
  const alertsByWindow = pipeline.windows.map((w) =>
    pipeline.alerts.flatMap((alert, i) => (alert.windowIndex === w.index ? [i] : [])),
  );
  const descriptor = describeLayout(pipeline);
  const orderFree = pipeline.windows.map((w) =>
    w.aggregates.map((a) => pipeline.aggregates[a]!.spec.orderFree === true),
  );
  layout = {
    pipeline,
    sliceMs: pipeline.sliceMs ?? 0,
    timedWindows,
    sessionWindows,
    timedAggregates,
    slicePositions,
    alertsByWindow,
    descriptor,
    fingerprint: descriptor.fingerprint,
    windowSpecs: pipeline.windows.map((w) => w.aggregates.map((a) => pipeline.aggregates[a]!.spec)),
    windowAggregateNames: pipeline.windows.map((w) => w.aggregates.map((a) => pipeline.aggregates[a]!.name)),
    timedAlerts: timedWindows.some((w) => alertsByWindow[w.index]!.length > 0),
    orderFree,
    windowOrderFree: orderFree.map((flags) => flags.every(Boolean)),
  };
  layouts.set(pipeline, layout);
  return layout;
}

/** Floor to a multiple of `step` (correct for negative times too). */
export function alignDown(time: number, step: number): number {
  return Math.floor(time / step) * step;
}

/**
 * Starts of the windows of `w` (tumbling or hopping) that contain `time`, oldest first.
 * Tumbling: one; hopping: ceil(size / advance) or fewer.
 */
export function windowStartsFor(w: NormalizedWindow, time: number): number[] {
  const starts: number[] = [];
  for (let start = firstWindowStart(w, time); start <= time; start += w.advanceMs) starts.push(start);
  return starts;
}

/** Start of the oldest window of `w` (tumbling or hopping) that contains `time`. */
export function firstWindowStart(w: NormalizedWindow, time: number): number {
  // The smallest multiple of advance strictly greater than time − size (exact for fractional times too).
  return (Math.floor((time - w.sizeMs) / w.advanceMs) + 1) * w.advanceMs;
}
