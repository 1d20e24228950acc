// The local results sink (the stand-in for the emitter's results Firehose) and the `results` view over it: rows, object
// layout and buffering like the cloud delivery, write failures kept for the next tick. Files in a temporary folder.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type AlertMessage, type ResultMessage, resultId, warehouseRow } from '../../lambdas/sinks/index';
import {
  LocalResultsSink,
  queryWarehouse,
  RESULT_COLUMNS,
  resultsDeliveryStreamNameOf,
} from '../../local/warehouse/index';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'streamfold-results-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-03-04T23:59:30.000Z');
const ID_KEY = new Uint8Array(32).fill(7);
const result = (key: string, start: number, values: Record<string, unknown> = { events: 3 }): ResultMessage => ({
  kind: 'result',
  id: resultId(ID_KEY, 'clickstream', 'perMinute', key, start),
  pipeline: 'clickstream',
  window: 'perMinute',
  key,
  start,
  end: start + 60_000,
  values,
});
const alert: AlertMessage = {
  kind: 'alert',
  id: 'a1',
  pipeline: 'clickstream',
  alert: 'potential-bot',
  window: 'perMinute',
  key: 'bot-001',
  start: T0,
  end: T0 + 60_000,
  values: { events: 101 },
};

/** Every object under the folder: path relative to it, and its rows. */
function objects(dir: string): { path: string; rows: unknown[] }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.gz'))
    .sort()
    .map((name) => ({
      path: relative(dir, join(dir, name)),
      rows: gunzipSync(readFileSync(join(dir, name)))
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as unknown),
    }));
}

describe('LocalResultsSink', () => {
  it('writes rows whose fields are the results columns, in the delivery stream the CDK app names', () => {
    const columns = RESULT_COLUMNS.map((c) => c.name);
    const rows = [
      warehouseRow(result('u1', T0)),
      warehouseRow({ ...result('u2', T0), partial: ['events'] }),
      warehouseRow(alert),
    ];
    for (const row of rows) for (const field of Object.keys(row)) expect(columns).toContain(field);
    expect(Object.keys(rows[1]!)).toContain('partial');
    expect(Object.keys(rows[2]!)).toContain('alert');
    expect(resultsDeliveryStreamNameOf('clickstream')).toBe('clickstream-aggregates');
  });

  it('buffers results until the interval passes, then writes one gzip object of warehouseRow lines under aggregates/dt=', async () => {
    const dir = tempDir();
    let now = T0;
    const sink = new LocalResultsSink({
      dir,
      deliveryStreamName: 'clickstream-aggregates',
      bufferingIntervalMs: 10_000,
      now: () => now,
    });
    const messages = [result('u1', T0 - 60_000), result('u2', T0 - 60_000, { events: 7 })];
    expect(await sink.send([...messages, alert])).toEqual({ failed: [], retries: 0 });
    now += 9_999;
    await sink.tick();
    expect(objects(dir)).toEqual([]);
    expect(sink.counters()).toEqual({ received: 2, delivered: 0, objects: 0, buffered: 2 });
    now += 31_000; // past midnight UTC: the prefix keeps the oldest row's arrival day
    await sink.send([result('u3', T0)]);
    const written = objects(dir);
    expect(written).toHaveLength(1);
    expect(written[0]?.path).toMatch(
      /^aggregates\/dt=2026-03-04\/clickstream-aggregates-1-2026-03-05-00-00-10-[0-9a-f-]{36}\.gz$/,
    );
    expect(written[0]?.rows).toEqual([...messages, result('u3', T0)].map(warehouseRow));
    expect(sink.counters()).toEqual({ received: 3, delivered: 3, objects: 1, buffered: 0 });
  });

  it('writes when the buffer reaches its size, and flush() writes the rest', async () => {
    const dir = tempDir();
    const sink = new LocalResultsSink({ dir, deliveryStreamName: 's', bufferingBytes: 400, now: () => T0 });
    await sink.send([result('u1', T0), result('u2', T0)]);
    expect(objects(dir)).toHaveLength(0);
    await sink.send([result('u3', T0)]);
    expect(objects(dir).map((o) => o.rows.length)).toEqual([3]);
    await sink.send([result('u4', T0)]);
    await sink.flush();
    expect(
      objects(dir)
        .map((o) => o.rows.length)
        .sort(),
    ).toEqual([1, 3]);
  });

  it('keeps the rows of a failed write and writes them on a later tick', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'aggregates'), 'a file where the prefix folder should be');
    const errors: unknown[] = [];
    const sink = new LocalResultsSink({
      dir,
      deliveryStreamName: 's',
      bufferingIntervalMs: 0,
      onError: (e) => errors.push(e),
    });
    expect(await sink.send([result('u1', T0)])).toEqual({ failed: [], retries: 0 });
    expect(errors).toHaveLength(1);
    expect(sink.counters()).toMatchObject({ buffered: 1, delivered: 0 });
    rmSync(join(dir, 'aggregates'));
    await sink.tick();
    expect(objects(dir).flatMap((o) => o.rows)).toEqual([warehouseRow(result('u1', T0))]);
  });
});

describe('the results view of queryWarehouse', () => {
  it('reads results with the Glue columns (values as JSON), also under the name aggregates', async () => {
    const dir = tempDir();
    const sink = new LocalResultsSink({ dir, deliveryStreamName: 'clickstream-aggregates', now: () => T0 });
    await sink.send([result('u1', T0, { events: 3, types: { values: ['view'], overflow: false } }), result('u2', T0)]);
    await sink.flush();
    const out = await queryWarehouse(
      dir,
      `SELECT key, window_start, "values"->>'events' AS events, "values", alert, dt FROM results WHERE "window" = 'perMinute' ORDER BY key`,
    );
    expect(out.rows).toEqual([
      {
        key: 'u1',
        window_start: String(T0),
        events: '3',
        values: '{"events":3,"types":{"values":["view"],"overflow":false}}',
        alert: null,
        dt: '2026-03-04',
      },
      { key: 'u2', window_start: String(T0), events: '3', values: '{"events":3}', alert: null, dt: '2026-03-04' },
    ]);
    const alias = await queryWarehouse(dir, 'SELECT count(*)::INTEGER AS n FROM aggregates');
    expect(alias.rows).toEqual([{ n: 2 }]);
  });

  it('keeps one row per id: a result delivered again (at least once) is one row, with the Glue columns', async () => {
    const dir = tempDir();
    let now = T0;
    const sink = new LocalResultsSink({ dir, deliveryStreamName: 'clickstream-aggregates', now: () => now });
    await sink.send([result('u1', T0), result('u2', T0)]);
    await sink.flush();
    now = T0 + 3_600_000; // the resend lands in another object, under the next day's prefix
    await sink.send([result('u1', T0), result('u3', T0)]);
    await sink.flush();
    expect(objects(dir).flatMap((o) => o.rows)).toHaveLength(4);
    const out = await queryWarehouse(dir, 'SELECT * FROM results ORDER BY key');
    expect(out.columns).toEqual([...RESULT_COLUMNS.map((c) => c.name), 'dt']);
    expect(out.rows.map((r) => [r.key, r.id, r.dt])).toEqual([
      ['u1', result('u1', T0).id, '2026-03-04'],
      ['u2', result('u2', T0).id, '2026-03-04'],
      ['u3', result('u3', T0).id, '2026-03-05'],
    ]);
  });

  it('is an empty view with the same columns while only raw events were delivered', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'raw', 'event_type=view', 'dt=2026-03-04', 'hour=23'), { recursive: true });
    writeFileSync(
      join(dir, 'raw', 'event_type=view', 'dt=2026-03-04', 'hour=23', 'x.gz'),
      gzipSync('{"type":"view"}\n'),
    );
    const out = await queryWarehouse(dir, 'SELECT * FROM results');
    expect(out.rows).toEqual([]);
    expect(out.columns).toEqual([...RESULT_COLUMNS.map((c) => c.name), 'dt']);
  });
});
