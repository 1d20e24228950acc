import type { AlertContext, NormalizedWindow } from '../definition';
import type { Layout } from './layout';
import type { AlertEvent } from './types';
import { valuesOf } from './values';

/** Where evaluations report fired alerts. */
export interface AlertSink {
  readonly alerts: AlertEvent[];
}

/** One window instance whose alerts are evaluated, and the record that changed it. */
export interface AlertTarget {
  readonly key: string;
  readonly window: NormalizedWindow;
  /** Start and end of the instance (sessions: first and last event time). */
  readonly start: number;
  readonly end: number;
  /** Position of the record that changed the instance. */
  readonly index: number;
}

/**
 * The one evaluation of alert rules (open time windows, closed windows and sessions alike): each of the `pending`
 * alerts (indexes, in alert order) of the target's window whose rule is true for `values` fires: its event goes to
 * `out`. Returns the alerts still pending: `pending` itself when none fired (the caller records the others on the
 * instance, see {@link firedAmong}).
 */
export function evaluateAlerts(
  layout: Layout,
  target: AlertTarget,
  pending: readonly number[],
  values: Record<string, unknown>,
  out: AlertSink,
): readonly number[] {
  let left = pending;
  let context: AlertContext | undefined;
  for (const ai of pending) {
    const alert = layout.pipeline.alerts[ai]!;
    context ??= { key: target.key, window: target.window.name, start: target.start, end: target.end };
    if (!alert.when(values, context)) continue;
    left = left.filter((other) => other !== ai);
    out.alerts.push({ alert: alert.name, ...context, values: structuredClone(values), index: target.index });
  }
  return left;
}

/** The alerts of `pending` that fired: not in `left` (what {@link evaluateAlerts} returned). */
export function firedAmong(pending: readonly number[], left: readonly number[]): readonly number[] {
  return left === pending ? [] : pending.filter((ai) => !left.includes(ai));
}

/** The alerts of window `w` not in `fired` (a closed window's or session's `f`), in alert order. */
export function unfiredAlerts(
  layout: Layout,
  w: NormalizedWindow,
  fired: readonly number[] | undefined,
): readonly number[] {
  const all = layout.alertsByWindow[w.index]!;
  return fired === undefined ? all : all.filter((ai) => !fired.includes(ai));
}

/**
 * Evaluate the alerts not fired yet for a closed window or a session on its states `a`; the ones that fire join its
 * `f`.
 */
export function evaluateInstance(
  layout: Layout,
  target: AlertTarget,
  instance: { a: unknown[]; f?: number[] },
  out: AlertSink,
): void {
  const pending = unfiredAlerts(layout, target.window, instance.f);
  if (pending.length === 0) return;
  const values = valuesOf(layout, target.window, instance.a);
  const left = evaluateAlerts(layout, target, pending, values, out);
  for (const ai of firedAmong(pending, left)) (instance.f ??= []).push(ai);
}
