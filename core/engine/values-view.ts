import type { NormalizedWindow } from '../definition';
import type { Layout } from './layout';

/**
 * The values object of one window that alert rules on its open instances read, over states the engine shows it: a
 * property is the aggregate's `result` of the shown state, computed on first read and kept until the next `show`.
 * An alert evaluated on hundreds of open instances per record (a 6h window advancing by a minute has 360) then builds
 * no object per instance, and a result a rule never reads (a distinct set's copy) is never made.
 *
 * One view per window and layout, reused for every instance and key: a rule must not keep or modify its values
 * (a custom aggregate's result is its state already). Its properties are own, enumerable and read-only, so spreading,
 * `JSON.stringify` and `structuredClone` give a plain copy, as a fired alert's event does.
 */
export interface ValuesView {
  /** What the rule reads, by aggregate name. */
  readonly values: Record<string, unknown>;
  /** The next reads compute from `states` (per aggregate of the window; not modified while shown). */
  show(states: readonly unknown[]): void;
}

const views = new WeakMap<Layout, (ValuesView | undefined)[]>();

/** The view of window `w`'s values (made on first use). */
export function valuesView(layout: Layout, w: NormalizedWindow): ValuesView {
  let byWindow = views.get(layout);
  if (byWindow === undefined) {
    byWindow = [];
    views.set(layout, byWindow);
  }
  return (byWindow[w.index] ??= createView(layout, w));
}

function createView(layout: Layout, w: NormalizedWindow): ValuesView {
  const specs = layout.windowSpecs[w.index]!;
  const names = layout.windowAggregateNames[w.index]!;
  const results: unknown[] = new Array(specs.length).fill(undefined);
  // A result is current when its showing number is the view's (one increment per show, no reset of every slot).
  const shownAt: number[] = new Array(specs.length).fill(-1);
  let showing = 0;
  let states: readonly unknown[] = [];
  const values: Record<string, unknown> = {};
  names.forEach((name, j) => {
    Object.defineProperty(values, name, {
      enumerable: true,
      get: () => {
        if (shownAt[j] !== showing) {
          results[j] = specs[j]!.result(states[j]);
          shownAt[j] = showing;
        }
        return results[j];
      },
    });
  });
  return {
    values,
    show(next) {
      states = next;
      showing++;
    },
  };
}
