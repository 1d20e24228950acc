/**
 * The reference pipeline: clickstream events keyed by user, with per-minute counts and a bot alert, 5-minute hopping
 * activity, and 30-second-gap sessions with their event count and duration.
 */

import { definePipeline, hopping, session, tumbling } from 'streamfold';
import { z } from 'zod';

/** Event types of the clickstream. */
export const EVENT_TYPES = ['click', 'view', 'search', 'add_to_cart', 'purchase', 'login', 'failed_login'] as const;

/** One clickstream event. `ts` is ISO-8601 with an offset (e.g. `2026-11-21T10:00:00.000Z`). */
export const ClickEvent = z.object({
  eventId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128),
  type: z.enum(EVENT_TYPES),
  ts: z.iso.datetime({ offset: true }),
  page: z.string().max(2048).optional(),
  // Free-form properties: checked to be a plain object, not copied key by key (they can be large).
  properties: z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
      message: 'expected an object',
    })
    .optional(),
});

/** A validated clickstream event. */
export type ClickEvent = z.infer<typeof ClickEvent>;

/** The clickstream pipeline definition. */
export const clickstream = definePipeline({
  name: 'clickstream',
  schema: ClickEvent,
  id: 'eventId',
  key: 'userId',
  time: 'ts',
  windows: {
    perMinute: tumbling('1m', { grace: '5m' }),
    activity5m: hopping('5m', '1m', { grace: '5m' }),
    sessions: session('30s', { grace: '5m' }),
  },
  aggregates: ({ count, distinct, first, last, reducer }) => ({
    events: count(),
    types: distinct((e) => e.type, { max: 16, windows: ['activity5m'] }),
    firstEventAt: first((e) => e.ts, { windows: ['activity5m'] }),
    lastEventAt: last((e) => e.ts, { windows: ['activity5m'] }),
    // Session duration: last event time − first event time, kept as [first, last] so it merges.
    durationMs: reducer({
      windows: ['sessions'],
      init: (): [number, number] | null => null,
      add: (s, _, time): [number, number] => (s === null ? [time, time] : [Math.min(s[0], time), Math.max(s[1], time)]),
      merge: (a, b): [number, number] | null =>
        a === null ? b : b === null ? a : [Math.min(a[0], b[0]), Math.max(a[1], b[1])],
      result: (s) => (s === null ? 0 : s[1] - s[0]),
    }),
  }),
  alerts: (rule) => ({
    'potential-bot': rule('perMinute', (a) => a.events > 100, {
      description: 'more than 100 events from one user in one minute',
    }),
  }),
  // Deploy settings of this pipeline (cdk.json context or `-c key=value` overrides them): the data lake is
  // partitioned by event type.
  deploy: { eventTypeField: 'type' },
});

export default clickstream;
