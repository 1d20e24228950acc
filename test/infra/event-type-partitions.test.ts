/**
 * Bounded raw-event partitions (issue 11 point 6): the allowed event types come from the schema's enum, every other
 * value lands in `event_type=other`, a field without an enum fails at synth, and `eventTypeField: false` partitions by
 * date and hour only. The helper is pure; the stack tests synthesize without bundling.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { definePipeline, tumbling } from '../../core';
import { count } from '../../core/aggregates';
import {
  EVENT_TYPE_FIELD,
  eventTypePartitionOf,
  eventTypeQuery,
  eventTypesFromSchema,
  MAX_EVENT_TYPES,
  OTHER_EVENT_TYPE,
  partitionValueOf,
  SettingError,
} from '../../lib';
import { ClickEvent } from '../../pipelines/clickstream';
import { buildStack, CLICKSTREAM_PATH, resourcesOf, synthStack } from './stack-fixture';

describe('eventTypesFromSchema', () => {
  const schema = z.object({
    kind: z.enum(['a', 'b']),
    optionalKind: z.enum(['x', 'y']).optional(),
    nullableKind: z.enum(['m', 'n']).nullable(),
    literal: z.literal('only'),
    literals: z.union([z.literal('p'), z.literal('q')]),
    transformed: z.enum(['u', 'v']).transform((v) => v.toUpperCase()),
    free: z.string(),
    mixed: z.union([z.literal('p'), z.string()]),
    numeric: z.union([z.literal(1), z.literal(2)]),
    many: z.enum(Array.from({ length: MAX_EVENT_TYPES + 1 }, (_, i) => `t${i}`) as [string, ...string[]]),
    enough: z.enum(Array.from({ length: MAX_EVENT_TYPES }, (_, i) => `t${i}`) as [string, ...string[]]),
  });

  it.each([
    ['kind', ['a', 'b']],
    ['optionalKind', ['x', 'y']],
    ['nullableKind', ['m', 'n']],
    ['literal', ['only']],
    ['literals', ['p', 'q']],
    // The input side: Firehose sees what producers sent, before any transform.
    ['transformed', ['u', 'v']],
  ])('%s: the enum’s values %o', (field, values) => {
    expect(eventTypesFromSchema(schema, field)).toEqual(values);
  });

  it('the reference pipeline’s `type`: its seven event types', () => {
    expect(eventTypesFromSchema(ClickEvent, 'type')).toEqual([
      'click',
      'view',
      'search',
      'add_to_cart',
      'purchase',
      'login',
      'failed_login',
    ]);
  });

  it('accepts up to MAX_EVENT_TYPES values', () => {
    expect(eventTypesFromSchema(schema, 'enough')).toHaveLength(MAX_EVENT_TYPES);
  });

  describe('fails if', () => {
    it.each([
      ['free', /eventTypeField: expected a field whose schema is an enum of strings .* got "free"/],
      ['mixed', /eventTypeField: expected a field whose schema is an enum of strings .* got "mixed"/],
      ['numeric', /eventTypeField: expected a field whose schema is an enum of strings .* got "numeric"/],
      ['missing', /eventTypeField: expected a field whose schema is an enum .* got "missing"/],
      ['many', /eventTypeField: expected an enum of at most 100 values \(it has 101; .* got "many"/],
      ['type | halt', /eventTypeField: expected a top-level field name .* got "type \| halt"/],
    ])('the field is %s', (field, message) => {
      expect(() => eventTypesFromSchema(schema, field)).toThrow(SettingError);
      expect(() => eventTypesFromSchema(schema, field)).toThrow(message);
    });

    it('the message says how to switch partitioning by type off', () => {
      expect(() => eventTypesFromSchema(schema, 'free')).toThrow(/set eventTypeField to false/);
    });
  });
});

describe('eventTypeQuery and eventTypePartitionOf', () => {
  const values = ['click', 'add to cart', '__proto__', 'a"b\\(x)'];

  it('maps each allowed value to its partition value, everything else to `other`', () => {
    const cases: [unknown, string][] = [
      [{ type: 'click' }, 'click'],
      [{ type: 'add to cart' }, 'add_to_cart'],
      [{ type: '__proto__' }, '__proto__'],
      [{ type: 'a"b\\(x)' }, 'a_b__x_'],
      [{ type: 'cl' }, OTHER_EVENT_TYPE],
      [{ type: 'bogus' }, OTHER_EVENT_TYPE],
      [{ type: 5 }, OTHER_EVENT_TYPE],
      [{ type: null }, OTHER_EVENT_TYPE],
      [{ type: ['click'] }, OTHER_EVENT_TYPE],
      [{ type: { click: true } }, OTHER_EVENT_TYPE],
      [{}, OTHER_EVENT_TYPE],
      [JSON.parse('{"__proto__":"click"}'), OTHER_EVENT_TYPE],
      [null, OTHER_EVENT_TYPE],
    ];
    for (const [record, eventType] of cases) {
      expect(eventTypePartitionOf(record, 'type', values), JSON.stringify(record)).toEqual({ ok: true, eventType });
    }
  });

  it('a producer sending 10,000 distinct types creates one partition, not 10,000', () => {
    const partitions = new Set(
      Array.from({ length: 10_000 }, (_, i) => eventTypePartitionOf({ type: `bot-${i}` }, 'type', values)).map((p) =>
        p.ok ? p.eventType : p.message,
      ),
    );
    expect([...partitions]).toEqual([OTHER_EVENT_TYPE]);
  });

  it('records that are not objects (or null) cannot be indexed and fail (errors/ in the lake)', () => {
    for (const record of [[1], 'text', 3, true]) {
      expect(eventTypePartitionOf(record, 'type', values).ok, JSON.stringify(record)).toBe(false);
    }
  });

  it('the JQ query embeds exactly the allowed values and their partition values, with `other` as fallback', () => {
    expect(eventTypeQuery('type', ['click', 'add to cart'])).toBe(
      '{event_type: (.type as $t | if ($t | type) == "string" then ' +
        '({"click":"click","add to cart":"add_to_cart"}[$t] // "other") else "other" end)}',
    );
    expect(() => eventTypeQuery('a.b', ['x'])).toThrow(/eventTypeField: .* got "a.b"/);
  });

  it('partition values are S3-safe and never empty', () => {
    expect(partitionValueOf('')).toBe('_');
    expect(partitionValueOf('a/b c')).toBe('a_b_c');
    expect(partitionValueOf('ok-1.2_x')).toBe('ok-1.2_x');
    expect(EVENT_TYPE_FIELD.test('type')).toBe(true);
  });
});

describe('bounded partitions in the stack (clean events and the raw copy)', () => {
  const freeType = definePipeline({
    name: 'free-type',
    schema: z.object({ eventId: z.string(), userId: z.string(), type: z.string(), ts: z.number() }),
    key: 'userId',
    time: 'ts',
    windows: { perMinute: tumbling('1m') },
    aggregates: { events: count() },
  });
  const free = { pipeline: freeType, definition: { path: CLICKSTREAM_PATH, exportName: 'clickstream' } };

  it.each([
    [{ eventTypeField: 'userId' }, /eventTypeField: expected a field whose schema is an enum .* got "userId"/],
    [{ eventTypeField: 'page' }, /eventTypeField: expected a field whose schema is an enum .* got "page"/],
    [free, /eventTypeField: expected a field whose schema is an enum .* got "type"/],
  ])('fails at synth when the field has no enum: %o', (props, message) => {
    expect(() => buildStack(props)).toThrow(SettingError);
    expect(() => buildStack(props)).toThrow(message);
  });

  it('eventTypeField false: date/hour prefixes only, raw and clean; tables without event_type', () => {
    const s = synthStack({ ...free, eventTypeField: false, rawEventDelivery: true });
    const streams = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream');
    const [, raw] = streams.find(([, d]) => d.Properties.DeliveryStreamName === 'free-type-raw-events')!;
    const dest = raw.Properties.ExtendedS3DestinationConfiguration;
    expect(dest.Prefix).toBe('raw/dt=!{timestamp:yyyy-MM-dd}/hour=!{timestamp:HH}/');
    expect(dest.DynamicPartitioningConfiguration).toBeUndefined();
    expect(dest.ProcessingConfiguration.Processors.map((p: { Type: string }) => p.Type)).toEqual([
      'AppendDelimiterToRecord',
    ]);
    const [, clean] = streams.find(([, d]) => d.Properties.DeliveryStreamName === 'free-type-clean-events')!;
    const cleanDest = clean.Properties.ExtendedS3DestinationConfiguration;
    expect(cleanDest.Prefix).toBe('clean/dt=!{partitionKeyFromQuery:dt}/hour=!{partitionKeyFromQuery:hour}/');
    expect(cleanDest.ProcessingConfiguration.Processors[0].Parameters[0].ParameterValue).toBe(
      '{dt: .sf_dt, hour: .sf_hour}',
    );
    for (const name of ['raw_events', 'events_log']) {
      const [, table] = resourcesOf(s.template, 'AWS::Glue::Table').find(
        ([, t]) => t.Properties.TableInput.Name === name,
      )!;
      const input = table.Properties.TableInput;
      expect(input.PartitionKeys.map((k: { Name: string }) => k.Name)).toEqual(['dt', 'hour']);
      expect(input.Parameters['projection.event_type.type']).toBeUndefined();
      expect(JSON.stringify(input.Parameters['storage.location.template'])).not.toContain('event_type');
    }
    const processor = resourcesOf(s.template, 'AWS::Lambda::Function').find(([, f]) =>
      String(f.Properties.Description).startsWith('streamfold processor '),
    )!;
    expect(processor[1].Properties.Environment.Variables.STREAMFOLD_CLEAN_PARTITION_FIELD).toBe('false');
    expect(s.nag.violations).toEqual([]);
  });

  it('the clean events need the bounded field too, raw copy or not (the default has no raw copy)', () => {
    expect(() => buildStack({ ...free, rawEventDelivery: false })).toThrow(
      /eventTypeField: expected a field whose schema is an enum .* got "type"/,
    );
    const s = synthStack({ ...free, eventTypeField: false });
    const names = resourcesOf(s.template, 'AWS::KinesisFirehose::DeliveryStream').map(
      ([, d]) => d.Properties.DeliveryStreamName,
    );
    expect(names.sort()).toEqual(['free-type-aggregates', 'free-type-clean-events']);
    expect(
      resourcesOf(s.template, 'AWS::Glue::Table')
        .map(([, t]) => t.Properties.TableInput.Name)
        .sort(),
    ).toEqual(['aggregates', 'events', 'events_log']);
  });
});
