// Clean rows (core/clean-events.ts): the identity that lets the warehouse show each valid event once — the same rule
// as the processor's dedupe (key, id, claim minute) with a dedupe id, the record itself without — the partitions
// (event time, bounded event type), and a line that never throws.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  CLEAN_FIELDS,
  type CleanEventInput,
  cleanEventLine,
  cleanEventRow,
  cleanEventUid,
  cleanMetadataRow,
  cleanPartitioningOf,
  cleanPartitionPath,
  OTHER_EVENT_TYPE,
} from '../../../core';
import { ClickEvent } from '../../../pipelines/clickstream';

const T = Date.UTC(2026, 0, 2, 13, 45, 10);
const base: CleanEventInput = {
  identity: 'clickstream-events/shardId-000000000000',
  epoch: 0,
  source: 'shardId-000000000000',
  event: { eventId: 'e1', userId: 'u1', type: 'click', ts: new Date(T).toISOString() },
  key: 'u1',
  id: 'e1',
  time: T,
  sequence: '49590000000000000000000000000000000000000000000000000001',
  arrivalMs: T + 2000,
};
const partitioning = cleanPartitioningOf(ClickEvent, 'type');

describe('cleanEventUid', () => {
  it('with a dedupe id: the same (key, id, event-time minute) is one event, whatever record carried it', () => {
    const resend = {
      ...base,
      sequence: '49590000000000000000000000000000000000000000000000000999',
      arrivalMs: T + 9e6,
    };
    expect(cleanEventUid(resend)).toBe(cleanEventUid(base));
    expect(cleanEventUid({ ...base, source: 'shardId-000000000001', identity: 'x/shardId-000000000001' })).toBe(
      cleanEventUid(base),
    );
    expect(cleanEventUid({ ...base, time: T + 40_000 })).toBe(cleanEventUid(base)); // same minute: 13:45
  });

  it('with a dedupe id: another key, another id or another minute is another event (as the processor counts it)', () => {
    const uids = new Set([
      cleanEventUid(base),
      cleanEventUid({ ...base, key: 'u2' }),
      cleanEventUid({ ...base, id: 'e2' }),
      cleanEventUid({ ...base, time: T + 60_000 }),
    ]);
    expect(uids.size).toBe(4);
  });

  it('without a dedupe id: the record (source identity, epoch, sequence); a redelivery is the same, a resend is not', () => {
    const noId = { ...base, id: undefined };
    expect(cleanEventUid({ ...noId, arrivalMs: T + 5 })).toBe(cleanEventUid(noId));
    expect(cleanEventUid({ ...noId, sequence: `${base.sequence}0` })).not.toBe(cleanEventUid(noId));
    expect(cleanEventUid({ ...noId, epoch: 1 })).not.toBe(cleanEventUid(noId));
    expect(cleanEventUid({ ...noId, identity: 'other-stream/shardId-000000000000' })).not.toBe(cleanEventUid(noId));
  });

  it('is 22 base64url characters, and parts cannot run into each other', () => {
    expect(cleanEventUid(base)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(cleanEventUid({ ...base, key: 'u1e', id: '1' })).not.toBe(cleanEventUid({ ...base, key: 'u1', id: 'e1' }));
  });
});

describe('cleanEventRow', () => {
  it('keeps the event’s fields and adds the metadata and the partition values', () => {
    const row = cleanEventRow(base, partitioning);
    expect(row).toEqual({
      ...(base.event as object),
      sf_uid: cleanEventUid(base),
      sf_key: 'u1',
      sf_id: 'e1',
      sf_source: 'shardId-000000000000',
      sf_sequence: base.sequence,
      sf_event_time: T,
      sf_arrival_time: T + 2000,
      sf_event_type: 'click',
      sf_dt: '2026-01-02',
      sf_hour: '13',
    });
    expect(cleanPartitionPath(row)).toBe('event_type=click/dt=2026-01-02/hour=13/');
  });

  it('partitions by event time, not arrival: a backfilled event lands in its own day and hour', () => {
    const old = cleanEventRow({ ...base, time: Date.UTC(2025, 11, 31, 23, 59, 59) }, partitioning);
    expect([old.sf_dt, old.sf_hour]).toEqual(['2025-12-31', '23']);
  });

  it('bounds the event type by the schema’s enum (a value outside it, or none, is `other`); false: no type', () => {
    const free = z.object({ type: z.string().optional() });
    const p = { field: 'type', values: ['click'] } as const;
    expect(cleanEventRow({ ...base, event: { type: 'teleport' } }, p).sf_event_type).toBe(OTHER_EVENT_TYPE);
    expect(cleanEventRow({ ...base, event: {} }, p).sf_event_type).toBe(OTHER_EVENT_TYPE);
    expect(cleanEventRow({ ...base, event: { type: 'a b' } }, { field: 'type', values: ['a b'] }).sf_event_type).toBe(
      'a_b',
    );
    const none = cleanEventRow(base, { field: false, values: [] });
    expect(none.sf_event_type).toBeUndefined();
    expect(cleanPartitionPath(none)).toBe('dt=2026-01-02/hour=13/');
    expect(cleanPartitioningOf(free, undefined)).toEqual({ field: false, values: [] });
    expect(cleanPartitioningOf(ClickEvent, undefined).field).toBe('type');
    expect(cleanPartitioningOf(free, 'type')).toEqual({ field: 'type', values: [] });
  });

  it('the metadata wins over an event field of the same sf_ name; a non-object event is kept under `event`', () => {
    const row = cleanEventRow({ ...base, event: { sf_key: 'forged', x: 1 } }, partitioning);
    expect([row.sf_key, row.x]).toEqual(['u1', 1]);
    expect(cleanEventRow({ ...base, event: 'text' }, partitioning).event).toBe('text');
  });
});

describe('cleanEventLine', () => {
  it('serializes BigInt values as decimal strings', () => {
    const line = cleanEventLine(cleanEventRow({ ...base, event: { n: 12345678901234567890n } }, partitioning));
    expect(JSON.parse(line).n).toBe('12345678901234567890');
  });

  it('a row that cannot be serialized keeps its metadata, flagged sf_truncated', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const parsed = JSON.parse(cleanEventLine(cleanEventRow({ ...base, event: cyclic }, partitioning)));
    expect(parsed.a).toBeUndefined();
    expect(parsed).toMatchObject({ sf_uid: cleanEventUid(base), sf_truncated: true, sf_dt: '2026-01-02' });
    expect(Object.keys(cleanMetadataRow(cleanEventRow(base, partitioning))).sort()).toEqual(
      Object.values(CLEAN_FIELDS).sort(),
    );
  });
});
