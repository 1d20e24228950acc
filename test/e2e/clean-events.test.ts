// The issue's local check, through the CLI as a user runs it: `streamfold dev --events 3000` (the generator plants 1 %
// each of producer duplicates, late and malformed events), then `streamfold query "select count(*), count(distinct
// eventId) from events"` gives two equal numbers: the warehouse shows each valid event once. To keep the run short
// (kinesis-mock moves about 1 MB/s), emission is off (the clean events do not depend on it), events are 256 bytes
// and the generator sends as fast as the stream takes them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli';

const EVENTS = 3000;
const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'streamfold-clean-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'streamfold', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    cwd: root,
  });
  return { code, stdout, stderr };
}

/** `streamfold query --json` rows. */
async function query(sql: string): Promise<{ n: number; ids: number }[]> {
  const out = await run('query', '--dir', dir, '--json', sql);
  expect(out.stderr).toBe('');
  expect(out.code).toBe(0);
  return out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { n: number; ids: number });
}

let dev: Awaited<ReturnType<typeof run>>;
let seconds = 0;

beforeAll(async () => {
  const started = Date.now();
  dev = await run(
    ...['dev', '--events', String(EVENTS), '--rate', '0', '--event-bytes', '256', '--no-emission', '--plain'],
    ...['--dir', dir],
  );
  seconds = (Date.now() - started) / 1000;
}, 300_000);

describe('streamfold dev --events 3000, then streamfold query', () => {
  it('the run processed every event: 1 % each duplicates, late and malformed', () => {
    expect(dev.code).toBe(0);
    const summary = stripVTControlCharacters(dev.stdout.slice(dev.stdout.lastIndexOf('streamfold dev summary')));
    const figure = (label: string) =>
      Number(new RegExp(`│ ${label}\\s+│\\s+([\\d,]+)\\s+│`).exec(summary)?.[1]?.replace(/,/g, ''));
    expect(figure('processed')).toBe(EVENTS);
    expect(figure('duplicates dropped')).toBe(EVENTS / 100);
    expect(figure('rejected')).toBe(EVENTS / 100);
    // The query hint counts the pipeline's own dedupe id (clickstream: eventId).
    expect(dev.stdout).toContain('(try: npx streamfold query "SELECT count(*), count(DISTINCT eventId) FROM events")');
  });

  it('the summary says what the run would cost on AWS, every request metered', () => {
    const summary = stripVTControlCharacters(dev.stdout.slice(dev.stdout.lastIndexOf('streamfold dev summary')));
    const cost = /this run on AWS would cost \$([\d.e-]+) for ([\d,]+) events: \$([\d.e-]+) per million events/.exec(
      summary,
    );
    expect(cost, summary).not.toBeNull();
    const [usd, events, perMillion] = [Number(cost![1]), Number(cost![2]!.replace(/,/g, '')), Number(cost![3])];
    expect(events).toBe(EVENTS);
    expect(usd).toBeGreaterThan(0);
    // The run's dollars are its price per million events times its events (both printed to two significant digits).
    expect(Math.abs(usd - (perMillion * events) / 1e6) / usd).toBeLessThan(0.06);
    const units = /DynamoDB per 1,000 events: ([\d.]+) write units, ([\d.]+) read units/.exec(summary);
    expect(Number(units?.[1])).toBeGreaterThan(0);
    // Producer (Kinesis), processor (DynamoDB, Lambda, clean-events Firehose) are all on the bill.
    expect(summary).toMatch(/per million events: .*dynamodb .*/);
    for (const service of ['kinesis', 'lambda', 'firehose']) expect(summary).toContain(`${service} $`);
  });

  it('count(*) and count(distinct eventId) of events are equal: each valid event once', async () => {
    const [counts] = await query('select count(*)::INTEGER AS n, count(distinct eventId)::INTEGER AS ids from events');
    const [log] = await query('select count(*)::INTEGER AS n from events_log');
    const [raw] = await query('select count(*)::INTEGER AS n, count(distinct eventId)::INTEGER AS ids from raw_events');
    const [errors] = await query('select count(*)::INTEGER AS n from event_errors');
    console.info(
      `[e2e clean events] ${EVENTS} generated in ${seconds.toFixed(0)} s: events count(*) ${counts!.n} = ` +
        `count(distinct eventId) ${counts!.ids}; events_log ${log!.n} rows; raw_events ${raw!.n} rows / ` +
        `${raw!.ids} distinct ids (+${errors!.n} unparsable in event_errors)`,
    );
    expect(counts!.n).toBe(counts!.ids);
    // Every event but the malformed ones and the producer resends: 3,000 − 30 − 30.
    expect(counts!.n).toBe(EVENTS - EVENTS / 100 - EVENTS / 100);
    // The delivered rows hold the resends (and any Lambda redelivery); the view shows each once.
    expect(log!.n).toBeGreaterThanOrEqual(EVENTS - EVENTS / 100);
    // The raw copy, for comparison: resends and schema-invalid records counted, as an analyst would see them there.
    expect(raw!.n).toBeGreaterThan(raw!.ids);
    expect(raw!.n + errors!.n).toBe(EVENTS);
    // And the issue's query itself, as typed (DuckDB's BIGINTs print as strings in JSON).
    const [issue] = await query('select count(*), count(distinct eventId) from events');
    expect(Object.values(issue!).map(Number)).toEqual([counts!.n, counts!.n]);
  });

  it('freshness: each row is in an object within the buffering interval (60 s) plus the processing lag', async () => {
    // The object name carries its write time (Firehose's `<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`).
    const cleanDir = join(dir, 'warehouse', 'clean');
    const ages: number[] = [];
    for (const file of readdirSync(cleanDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.gz'))) {
      const [, y, mo, d, h, mi, sec] = /-1-(\d{4})-(\d\d)-(\d\d)-(\d\d)-(\d\d)-(\d\d)-/.exec(file)!.map(Number);
      const writtenAt = Date.UTC(y!, mo! - 1, d, h, mi, sec);
      for (const line of gunzipSync(readFileSync(join(cleanDir, file)))
        .toString('utf8')
        .trim()
        .split('\n')) {
        ages.push(writtenAt - (JSON.parse(line) as { sf_arrival_time: number }).sf_arrival_time);
      }
    }
    ages.sort((a, b) => a - b);
    const at = (q: number) => ages[Math.min(ages.length - 1, Math.floor(q * ages.length))]!;
    console.info(
      `[e2e clean events] arrival → object: p50 ${(at(0.5) / 1000).toFixed(1)} s, p99 ${(at(0.99) / 1000).toFixed(1)} s, ` +
        `max ${(ages[ages.length - 1]! / 1000).toFixed(1)} s over ${ages.length} rows`,
    );
    expect(ages.length).toBeGreaterThanOrEqual(EVENTS - EVENTS / 100);
    expect(ages[0]!).toBeGreaterThan(-1000); // written after arrival (second precision)
  });

  it('no invalid record is in the view: every row has the schema’s fields and a bounded event type', async () => {
    const [bad] = await query(
      'select count(*)::INTEGER AS n from events where eventId is null or userId is null or ts is null or event_type not in ' +
        "('click','view','search','add_to_cart','purchase','login','failed_login')",
    );
    expect(bad!.n).toBe(0);
  });
});
