import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, hopping, replay, tumbling } from '../../../core';

/** The worked example of the README ("Event time, grace and late data"), checked line by line. */
const pipeline = definePipeline({
  name: 'readme',
  schema: z.object({ user: z.string(), at: z.iso.datetime() }),
  key: 'user',
  time: 'at',
  windows: {
    perMinute: tumbling('1m', { grace: '1m' }),
    last3m: hopping('3m', '1m', { grace: '1m' }),
  },
  aggregates: ({ count }) => ({ events: count() }),
});

const lines = ['10:00:10', '10:00:50', '10:01:30', '10:00:40', '10:03:05', '10:00:20'].map((t) =>
  JSON.stringify({ user: 'u1', at: `2026-11-21T${t}Z` }),
);

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

describe('README worked example', () => {
  const out = replay(pipeline, lines);

  it('counts the out-of-order 10:00:40 event and drops 10:00:20 where it is late', () => {
    const table = out.results.map((r) => `${r.window} ${hhmm(r.start)}-${hhmm(r.end)} ${r.values.events}`);
    expect(table).toEqual([
      'last3m 09:58-10:01 3',
      'last3m 09:59-10:02 4',
      'last3m 10:00-10:03 5',
      'last3m 10:01-10:04 2',
      'last3m 10:02-10:05 1',
      'last3m 10:03-10:06 1',
      'perMinute 10:00-10:01 3',
      'perMinute 10:01-10:02 1',
      'perMinute 10:03-10:04 1',
    ]);
  });

  it('reports line 6 late for the tumbling minute and the two older hopping windows only', () => {
    expect(out.late.map((l) => `${l.line} ${l.window} ${hhmm(l.start)}-${hhmm(l.end)}`)).toEqual([
      '6 perMinute 10:00-10:01',
      '6 last3m 09:58-10:01',
      '6 last3m 09:59-10:02',
    ]);
  });
});
