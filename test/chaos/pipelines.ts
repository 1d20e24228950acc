// The pipelines the sweep runs: the reference clickstream, without its dedupe id, and a variant whose state is bounded
// to a few KB while an aggregate grows with every event (hot keys reach the bound: `state-too-large`).
import { definePipeline, hopping, type Pipeline, session, tumbling } from '../../core';
import { ClickEvent, clickstream } from '../../pipelines/clickstream';
import { FUTURE_SKEW_MS, type PipelineVariant, type Schedule } from './schedule';

/** The clickstream pipeline without its dedupe id (the `no-dedupe` family). */
export const clickstreamNoDedupe: Pipeline = { ...clickstream, idOf: undefined };

/** The state bound of the capped variant: a few KB, so keys of dense schedules reach it. */
export const CAPPED_STATE_BYTES = 4_000;

/**
 * The clickstream windows and aggregates plus `recent`: the last 60 pages with their event ids in every 5-minute
 * window (about 40 bytes per event), under a state bound of {@link CAPPED_STATE_BYTES}.
 */
export const clickstreamCapped = definePipeline({
  name: 'clickstream-capped',
  schema: ClickEvent,
  id: 'eventId',
  key: 'userId',
  time: 'ts',
  windows: {
    perMinute: tumbling('1m', { grace: '5m' }),
    activity5m: hopping('5m', '1m', { grace: '5m' }),
    sessions: session('30s', { grace: '5m' }),
  },
  aggregates: ({ count, distinct, first, last, lastN }) => ({
    events: count(),
    types: distinct((e) => e.type, { max: 16, windows: ['activity5m'] }),
    firstEventAt: first((e) => e.ts, { windows: ['activity5m'] }),
    lastEventAt: last((e) => e.ts, { windows: ['activity5m'] }),
    recent: lastN((e) => `${e.page ?? '-'}#${e.eventId}`, 60, { windows: ['activity5m'] }),
  }),
  alerts: (rule) => ({
    'potential-bot': rule('perMinute', (a) => a.events > 100),
  }),
  settings: { maxStateBytes: CAPPED_STATE_BYTES },
});

/**
 * The clickstream pipeline with a state bound of {@link LEAN_STATE_BYTES}: its state is mostly a hot key's dedupe
 * claims, which outgrow the item (the processor moves them to claim items) before the bound is reached.
 */
export const clickstreamLean: Pipeline = {
  ...clickstream,
  name: 'clickstream-lean',
  settings: { ...clickstream.settings, maxStateBytes: 3_000 },
};

/** The capped variant without its dedupe id. */
export const clickstreamCappedNoDedupe: Pipeline = { ...clickstreamCapped, idOf: undefined };

const VARIANTS: Record<PipelineVariant, Pipeline> = {
  clickstream,
  'no-dedupe': clickstreamNoDedupe,
  capped: clickstreamCapped,
  'capped-no-dedupe': clickstreamCappedNoDedupe,
  lean: clickstreamLean,
};

for (const [name, pipeline] of Object.entries(VARIANTS)) {
  if (pipeline.settings.maxFutureSkewMs < FUTURE_SKEW_MS) {
    throw new Error(
      `chaos pipeline ${name}: maxFutureSkew ${pipeline.settings.maxFutureSkewMs} ms is below the ${FUTURE_SKEW_MS} ms the schedules' future events assume`,
    );
  }
}

/** The pipeline a schedule runs. */
export function pipelineOf(schedule: Pick<Schedule, 'pipeline'>): Pipeline {
  return VARIANTS[schedule.pipeline];
}

/**
 * The same pipeline with its state guard off (a bound no state reaches): the processor of the `no-state-guard`
 * self-test, which the oracle still expects to refuse records at the real bound.
 */
export function withoutStateGuard(pipeline: Pipeline): Pipeline {
  return { ...pipeline, settings: { ...pipeline.settings, maxStateBytes: Number.MAX_SAFE_INTEGER } };
}
