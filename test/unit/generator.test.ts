import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SettingError } from '../../core/errors';
import { type ClickEvent, EVENT_TYPES, type GeneratedItem, generate, writeJsonl } from '../../local/generator/index';

const options = { seed: 42, events: 20_000, lateShare: 0.02, duplicateShare: 0.03, malformedShare: 0.01 };
const items: GeneratedItem[] = [...generate(options)];

describe('synthetic clickstream generator', () => {
  it('is deterministic: the same options give the same lines; another seed gives other lines', () => {
    const again = [...generate(options)].map((i) => i.line);
    expect(again).toEqual(items.map((i) => i.line));
    const other = [...generate({ ...options, seed: 43 })].map((i) => i.line);
    expect(other.slice(0, 100)).not.toEqual(again.slice(0, 100));
  });

  it('plants the configured shares of late, duplicate and malformed items exactly as the summary says', () => {
    const run = generate(options);
    const counts = { event: 0, duplicate: 0, late: 0, malformed: 0 };
    for (const item of items) counts[item.kind]++;
    expect(counts).toEqual(run.summary.counts);
    expect(counts.late).toBe(400);
    expect(counts.duplicate).toBe(600);
    expect(counts.malformed).toBe(200);
    expect(counts.event).toBe(18_800);
    expect(items.slice(0, run.summary.warmup).every((i) => i.kind === 'event')).toBe(true);
  });

  it('writes valid events of about 1 KB with the reference schema', () => {
    const valid = items.filter((i) => i.kind === 'event' || i.kind === 'late');
    for (const item of valid.slice(0, 2000)) {
      const event = JSON.parse(item.line) as ClickEvent;
      expect(event).toEqual(item.event);
      expect(typeof event.eventId).toBe('string');
      expect(typeof event.userId).toBe('string');
      expect(EVENT_TYPES).toContain(event.type);
      expect(new Date(event.ts).toISOString()).toBe(event.ts);
      expect(Buffer.byteLength(item.line)).toBeGreaterThanOrEqual(1000);
      expect(Buffer.byteLength(item.line)).toBeLessThanOrEqual(1100);
    }
    const ids = new Set(valid.map((i) => i.event?.eventId));
    expect(ids.size).toBe(valid.length);
  });

  it('duplicates re-send an earlier line byte for byte (same eventId)', () => {
    const seen = new Set<string>();
    for (const item of items) {
      if (item.kind === 'duplicate') expect(seen.has(item.line)).toBe(true);
      if (item.kind === 'event') seen.add(item.line);
    }
  });

  it('malformed records are invalid JSON, wrong types, missing fields, unknown types or unparsable timestamps', () => {
    const malformed = items.filter((i) => i.kind === 'malformed');
    const kinds = new Set(malformed.map((i) => i.malformation));
    expect(kinds.size).toBe(6);
    for (const item of malformed) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(item.line);
      } catch {
        expect(item.malformation).toBe('invalid-json');
        continue;
      }
      const e = parsed as Partial<Record<keyof ClickEvent, unknown>>;
      const valid =
        !Array.isArray(parsed) &&
        typeof e.eventId === 'string' &&
        typeof e.userId === 'string' &&
        EVENT_TYPES.includes(e.type as ClickEvent['type']) &&
        typeof e.ts === 'string' &&
        !Number.isNaN(Date.parse(e.ts));
      expect(valid).toBe(false);
      expect(item.line).not.toContain('\n');
    }
  });

  it('keeps on-time events within outOfOrderMs of the generator clock, and late ones beyond the 5 minute grace', () => {
    const start = Date.parse('2026-01-01T00:00:00.000Z');
    const step = 1000 / 200;
    let streamTime = 0;
    for (const item of items) {
      const clock = start + item.index * step;
      const ts = Date.parse(item.event?.ts ?? '');
      if (item.kind === 'event' && !item.event?.userId.startsWith('bot-')) {
        expect(clock - ts).toBeGreaterThanOrEqual(0);
        expect(clock - ts).toBeLessThanOrEqual(2001);
      }
      if (item.kind === 'late') expect(streamTime - ts).toBeGreaterThan(6 * 60_000);
      if (item.kind === 'event') streamTime = Math.max(streamTime, ts);
    }
  });

  it('plants bots that each send more than 100 events in a 1-minute tumbling window', () => {
    const run = generate(options);
    expect(run.summary.botIds).toEqual(['bot-001', 'bot-002', 'bot-003']);
    const perWindow = new Map<string, number>();
    for (const item of items) {
      if (item.kind !== 'event' || !item.event) continue;
      const window = Math.floor(Date.parse(item.event.ts) / 60_000);
      const key = `${item.event.userId}@${window}`;
      perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
    }
    for (const bot of run.summary.botIds)
      expect(perWindow.get(`${bot}@${Math.floor(Date.parse(run.summary.startTime) / 60_000)}`)).toBeGreaterThan(100);
    const humansAbove100 = [...perWindow].filter(([key, n]) => key.startsWith('user-') && n > 100);
    expect(humansAbove100).toEqual([]);
  });

  it('gives users Zipf-distributed activity (a few heavy users, a long tail), humans capped below 100 a minute', () => {
    const perUser = new Map<string, number>();
    for (const item of items) {
      const user = item.event?.userId;
      if (item.kind === 'event' && user?.startsWith('user-')) perUser.set(user, (perUser.get(user) ?? 0) + 1);
    }
    const counts = [...perUser.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top10 = counts.slice(0, 10).reduce((a, b) => a + b, 0);
    expect(top10 / total).toBeGreaterThan(0.05); // 5× their uniform share, even with the 80/minute cap on the head
    const mean = (from: number) => {
      const ids = Array.from({ length: 10 }, (_, i) => `user-${String(from + i).padStart(6, '0')}`);
      return ids.reduce((n, id) => n + (perUser.get(id) ?? 0), 0) / 10;
    };
    expect(mean(51)).toBeGreaterThan(5 * mean(501)); // Zipf: (500/50)^1.1 ≈ 12.6
    expect(counts.length).toBeGreaterThan(500);
  });

  it('writeJsonl writes one item per line in delivery order and returns the summary', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gen-'));
    const path = join(dir, 'out', 'events.jsonl');
    const summary = await writeJsonl(path, { seed: 3, events: 500 });
    const lines = (await readFile(path, 'utf8')).split('\n');
    await rm(dir, { recursive: true, force: true });
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1)).toEqual([...generate({ seed: 3, events: 500 })].map((i) => i.line));
    expect(summary.total).toBe(500);
  });

  it('rejects impossible options with a message naming the option', () => {
    expect(() => generate({ lateShare: 1.5 })).toThrow(SettingError);
    expect(() => generate({ lateShare: 1.5 })).toThrow(/lateShare: expected .*, got 1.5/);
    expect(() => generate({ lateShare: 0.3, duplicateShare: 0.3 })).toThrow(/at most 0.5/);
    expect(() => generate({ eventsPerSecond: 5 })).toThrow(/raise eventsPerSecond/);
    expect(() => generate({ startTime: 'soon' })).toThrow(/startTime/);
  });
});
