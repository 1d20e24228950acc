/**
 * Page views per page and minute, with distinct visitors and an alert for a hot page. Its events have the shape the
 * local generator of `npm start` (`streamfold dev`) produces: edit the schema to yours.
 */
import { definePipeline, tumbling } from 'streamfold';
import { z } from 'zod';

/** One page event. `ts` is ISO-8601 with an offset. */
export const PageEvent = z.object({
  eventId: z.string().min(1).max(128),
  userId: z.string().min(1).max(128),
  type: z.enum(['click', 'view', 'search', 'add_to_cart', 'purchase', 'login', 'failed_login']),
  ts: z.iso.datetime({ offset: true }),
  page: z.string().max(2048).optional(),
});

export const pageviews = definePipeline({
  name: 'pageviews',
  schema: PageEvent,
  id: 'eventId', // dedupe: a producer's resend of an event is dropped and counted
  key: (e) => e.page ?? '(none)', // state and results per page
  time: 'ts', // event time
  windows: { perMinute: tumbling('1m', { grace: '1m' }) },
  aggregates: ({ count, distinct }) => ({
    views: count({ filter: (e) => e.type === 'view' }),
    visitors: distinct((e) => e.userId, { max: 1000 }),
  }),
  alerts: (rule) => ({
    'hot-page': rule('perMinute', (a) => a.views > 100, { description: 'more than 100 views of a page in a minute' }),
  }),
  // No record may move event time further ahead of its arrival than this (at most the smallest grace).
  settings: { maxFutureSkew: '1m' },
  // Deploy settings (cdk.json context or `-c key=value` overrides each): the data lake is partitioned by `type`.
  deploy: { eventTypeField: 'type', batchSize: 500 },
});
