/** Replays the sample events through the pipeline offline, exactly as the deployed processor would count them. */
import { readFileSync } from 'node:fs';
import { replay } from 'streamfold';
import { describe, expect, it } from 'vitest';
import { pageviews } from '../pipelines/pageviews';

const lines = readFileSync(new URL('../events/pageviews.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line !== '');
const out = replay(pageviews, lines);
const minute = (time: string) => Date.parse(`2026-01-01T${time}:00Z`);

describe('pageviews', () => {
  it('counts views and distinct visitors per page and minute', () => {
    const home = out.results.find((r) => r.key === '/home' && r.start === minute('10:00'));
    expect(home?.values).toMatchObject({ views: 2, visitors: { count: 2, overflowed: false } });
    const deals = out.results.find((r) => r.key === '/deals' && r.start === minute('10:03'));
    expect(deals?.values).toMatchObject({ views: 1 });
  });

  it('drops the resent event, rejects the malformed line and sends the late event aside', () => {
    expect(out.summary).toMatchObject({ lines: 9, duplicates: 1, rejected: 1, lateEvents: 1 });
    expect(out.rejected.map((r) => r.line)).toEqual([6]);
    expect(out.late.map((l) => l.line)).toEqual([9]);
    expect(out.alerts).toEqual([]);
  });
});
