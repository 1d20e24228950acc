import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, layoutOf, reducer, tumbling } from '../../../core';
import { valuesView } from '../../../core/engine/values-view';

const Schema = z.object({ id: z.string(), k: z.string(), t: z.number(), v: z.number() });

/** A window with a count and a custom aggregate whose result calls are counted. */
function setup() {
  const calls = { result: 0 };
  const pipeline = definePipeline({
    name: 'values-view',
    schema: Schema,
    key: 'k',
    time: 't',
    windows: { w: tumbling(60_000) },
    aggregates: ({ count }) => ({
      n: count(),
      seen: reducer({
        init: () => 0,
        add: (s: number) => s + 1,
        merge: (a: number, b: number) => a + b,
        result: (s: number) => {
          calls.result++;
          return { total: s };
        },
      }),
    }),
  });
  const layout = layoutOf(pipeline);
  return { calls, layout, view: valuesView(layout, pipeline.windows[0]!) };
}

describe('valuesView (the values alert rules read on open windows)', () => {
  it('computes a result only when read, once per shown states', () => {
    const { calls, view } = setup();
    view.show([3, 7]);
    expect(view.values.n).toBe(3);
    expect(calls.result).toBe(0);
    expect(view.values.seen).toEqual({ total: 7 });
    expect(view.values.seen).toEqual({ total: 7 });
    expect(calls.result).toBe(1);
  });

  it('reads the states shown last, even when the same array was shown again after a change', () => {
    const { view } = setup();
    const states = [1, 1];
    view.show(states);
    expect(view.values.seen).toEqual({ total: 1 });
    states[1] = 5;
    view.show(states);
    expect(view.values.seen).toEqual({ total: 5 });
    view.show([2, 9]);
    expect(view.values).toEqual({ n: 2, seen: { total: 9 } });
  });

  it('copies into a plain object by spread, JSON and structuredClone, and cannot be assigned', () => {
    const { view } = setup();
    view.show([4, 2]);
    expect(Object.keys(view.values)).toEqual(['n', 'seen']);
    expect({ ...view.values }).toEqual({ n: 4, seen: { total: 2 } });
    expect(JSON.parse(JSON.stringify(view.values))).toEqual({ n: 4, seen: { total: 2 } });
    const copy = structuredClone(view.values);
    view.show([0, 0]);
    expect(copy).toEqual({ n: 4, seen: { total: 2 } });
    expect(() => {
      (view.values as Record<string, unknown>).n = 1;
    }).toThrow(TypeError);
  });

  it('is one view per window and layout', () => {
    const { layout, view } = setup();
    expect(valuesView(layout, layout.pipeline.windows[0]!)).toBe(view);
  });
});
