/**
 * The definition lock at synth (README "Changing a pipeline"): the stack refuses an incompatible change of the
 * reference pipeline against pipelines/clickstream.lock.json with a message naming what changed and the way out,
 * accepts declared and compatible changes, and optionally registers the event schema in the Glue Schema Registry.
 */
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  count,
  definePipeline,
  first,
  hopping,
  max,
  type Pipeline,
  session,
  tumbling,
  type WindowSpec,
} from '../../core';
import { DefinitionCheckError, SettingError, settingsFromContext } from '../../lib';
import { ClickEvent } from '../../pipelines/clickstream';
import { buildStack, CLICKSTREAM_PATH, synthStack } from './stack-fixture';

const WINDOWS = {
  perMinute: tumbling('1m', { grace: '5m' }),
  activity5m: hopping('5m', '1m', { grace: '5m' }),
  sessions: session('30s', { grace: '5m' }),
};

/** pipelines/clickstream.ts (the same source), with the given parts replaced. */
function clickstreamWith(parts: {
  windows?: Record<string, WindowSpec>;
  aggregates?: Record<string, unknown>;
  resets?: object;
  key?: string;
  schema?: z.ZodType;
}): Pipeline {
  return definePipeline({
    name: 'clickstream',
    schema: (parts.schema ?? ClickEvent) as typeof ClickEvent,
    id: 'eventId',
    key: (parts.key ?? 'userId') as 'userId',
    time: 'ts',
    windows: (parts.windows ?? WINDOWS) as typeof WINDOWS,
    aggregates: ({ count, distinct, first, last, reducer }) => ({
      events: count(),
      types: distinct((e) => e.type, { max: 16, windows: ['activity5m'] }),
      firstEventAt: first((e) => e.ts, { windows: ['activity5m'] }),
      lastEventAt: last((e) => e.ts, { windows: ['activity5m'] }),
      // Session duration: last event time − first event time, kept as [first, last] so it merges.
      durationMs: reducer({
        windows: ['sessions'],
        init: (): [number, number] | null => null,
        add: (s, _, time): [number, number] =>
          s === null ? [time, time] : [Math.min(s[0], time), Math.max(s[1], time)],
        merge: (a, b): [number, number] | null =>
          a === null ? b : b === null ? a : [Math.min(a[0], b[0]), Math.max(a[1], b[1])],
        result: (s) => (s === null ? 0 : s[1] - s[0]),
      }),
      ...(parts.aggregates as object),
    }),
    alerts: (rule) => ({
      'potential-bot': rule('perMinute', (a) => a.events > 100, {
        description: 'more than 100 events from one user in one minute',
      }),
    }),
    ...(parts.resets ? { resets: parts.resets as never } : {}),
  }) as Pipeline;
}

const definition = { path: CLICKSTREAM_PATH, exportName: 'clickstream' };
const LOCK = CLICKSTREAM_PATH.replace(/\.ts$/, '.lock.json');
const build = (pipeline: Pipeline, extra: object = {}) =>
  buildStack({ pipeline, definition, definitionLock: LOCK, ...extra });

describe('synth refuses an incompatible definition change (against pipelines/clickstream.lock.json)', () => {
  it('the same definition written here passes (the lock compares canonical source, not how it is printed)', () => {
    const stack = build(clickstreamWith({}));
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('definition-lock'))).toEqual([]);
  });

  it.each([
    [
      'window size',
      { windows: { ...WINDOWS, perMinute: tumbling('2m', { grace: '5m' }) } },
      /windows\.perMinute\s+size 1m → 2m/,
    ],
    [
      'window advance',
      { windows: { ...WINDOWS, activity5m: hopping('5m', '5m', { grace: '5m' }) } },
      /windows\.activity5m\s+advance 1m → 5m/,
    ],
    [
      'window gap',
      { windows: { ...WINDOWS, sessions: session('1m', { grace: '5m' }) } },
      /windows\.sessions\s+gap 30s → 1m/,
    ],
    [
      'window grace',
      { windows: { ...WINDOWS, perMinute: tumbling('1m', { grace: '1m' }) } },
      /windows\.perMinute\s+grace 5m → 1m/,
    ],
    [
      'aggregate kind',
      { aggregates: { events: max((e: { ts: string }) => e.ts.length) } },
      /aggregates\.events\s+kind count → max/,
    ],
    [
      'aggregate extractor',
      { aggregates: { firstEventAt: first((e: { page?: string }) => e.page ?? null, { windows: ['activity5m'] }) } },
      /aggregates\.firstEventAt\s+field changed/,
    ],
    ['aggregation key', { key: 'eventId' }, /fields\.key\s+userId → eventId/],
    [
      'event schema (BACKWARD)',
      { schema: ClickEvent.extend({ page: z.string().max(16) }) },
      /schema\s+not BACKWARD compatible: .*\$\.page: required by the reader/,
    ],
  ])('%s', (_, parts, what) => {
    const attempt = () => build(clickstreamWith(parts));
    expect(attempt).toThrow(DefinitionCheckError);
    expect(attempt).toThrow(what);
    expect(attempt).toThrow(/way out: /);
    expect(attempt).toThrow(/it is not deployed/);
  });

  it('the same change declared (resets) builds, with a warning that the lock is behind', () => {
    const stack = build(
      clickstreamWith({
        windows: { ...WINDOWS, perMinute: tumbling('2m', { grace: '5m' }) },
        resets: { windows: { perMinute: 1 } },
      }),
    );
    const warnings = Annotations.fromStack(stack).findWarning(
      '*',
      Match.stringLikeRegexp('definition has 1 compatible change'),
    );
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]!.entry.data)).toMatch(/run npx streamfold check --write/);
  });

  it('a compatible change (a new aggregate) builds', () => {
    expect(() => build(clickstreamWith({ aggregates: { total: count() } }))).not.toThrow();
  });

  it('fails without a lock, with the lock of another pipeline, and with a bad definitionLock', () => {
    expect(() => build(clickstreamWith({}), { definitionLock: '/nowhere/clickstream.lock.json' })).toThrow(
      /definitionLock: no lock file "\/nowhere\/clickstream\.lock\.json" for pipeline "clickstream"; create it with: npx streamfold check/,
    );
    const other = definePipeline({
      name: 'other',
      schema: ClickEvent,
      key: 'userId',
      time: 'ts',
      windows: { perMinute: tumbling('1m') },
      aggregates: { events: count() },
    }) as Pipeline;
    expect(() => build(other)).toThrow(/is the lock of pipeline "clickstream", not "other"/);
    expect(() => build(clickstreamWith({}), { definitionLock: 42 })).toThrow(SettingError);
    expect(() => build(clickstreamWith({}), { definitionLock: 42 })).toThrow(
      /definitionLock: expected the path of a lock file, or false, got 42/,
    );
  });
});

describe('Glue Schema Registry (schemaRegistry: true)', () => {
  const s = synthStack({ schemaRegistry: true });

  it("registers the event schema as JSON Schema (draft-07) with the lock file's compatibility mode", () => {
    s.template.resourceCountIs('AWS::Glue::Registry', 1);
    s.template.hasResourceProperties('AWS::Glue::Registry', { Name: 'clickstream-schemas' });
    const [schema] = Object.values(s.template.findResources('AWS::Glue::Schema'));
    expect(schema!.Properties).toMatchObject({
      Name: 'clickstream-events',
      DataFormat: 'JSON',
      Compatibility: 'BACKWARD',
    });
    const json = JSON.parse(schema!.Properties.SchemaDefinition);
    expect(json.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(json.required).toEqual(['eventId', 'userId', 'type', 'ts']);
    s.template.hasOutput('EventSchemaArn', {});
  });

  it('is cdk-nag clean', () => {
    expect(s.nag.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath)}`)).toEqual(
      [],
    );
  });

  it('is set by the schemaRegistry context key', () => {
    const context = (key: string) => (key === 'schemaRegistry' ? 'true' : undefined);
    expect(settingsFromContext({ tryGetContext: context }).schemaRegistry).toBe(true);
  });

  it('is off by default', () => {
    const template = Template.fromStack(build(clickstreamWith({})));
    expect(Object.keys(template.findResources('AWS::Glue::Registry'))).toEqual([]);
  });

  it('fails for an event schema without a JSON Schema', () => {
    const plain = { '~standard': { version: 1, vendor: 'handmade', validate: (v: unknown) => ({ value: v }) } };
    const pipeline = definePipeline({
      name: 'plain',
      schema: plain as never,
      key: 'userId' as never,
      time: 'ts' as never,
      windows: { perMinute: tumbling('1m') },
      aggregates: { events: count() },
    }) as unknown as Pipeline;
    expect(() =>
      buildStack({
        pipeline,
        definition,
        schemaRegistry: true,
        eventTypeField: false,
        columns: [{ name: 'userId', type: 'string' }],
      }),
    ).toThrow(
      /schemaRegistry: expected false, or an event schema that gives a JSON Schema \(zod\); pipeline "plain" has none/,
    );
  });
});
