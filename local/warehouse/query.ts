import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CLEAN_DEDUPE_ORDER, CLEAN_FIELDS } from '../../core';
import { WarehouseEmptyError, WarehouseQueryError } from './errors';
import { AGGREGATES_PREFIX, CLEAN_EVENTS_PREFIX, ERRORS_PREFIX, RAW_EVENTS_PREFIX, RESULT_COLUMNS } from './layout';

/**
 * The view analysts query: the clean events, each valid event once (one row per `sf_uid`: see core/clean-events.ts),
 * with the event's fields, the `sf_` metadata and the partition columns `event_type`, `dt` and `hour` (event time).
 * The same definition as the Athena view `events` of lib/data-lake-catalog.ts.
 */
export const EVENTS_VIEW = 'events';
/** Every clean row as delivered (at-least-once: a Lambda retry may have delivered a row twice). */
export const EVENTS_LOG_VIEW = 'events_log';
/** The raw stream as the raw delivery copied it, for forensics (duplicates and invalid records included). */
export const RAW_EVENTS_VIEW = 'raw_events';
/** The view over raw records that failed partitioning (`errorCode`, `errorMessage`, `rawData` base64, ...). */
export const ERRORS_VIEW = 'event_errors';
/**
 * The view over final window results (`aggregates/`): one row per result id (a window, key and start; a resend of the
 * same result is not counted twice) with the columns of the
 * cloud's `aggregates` Glue table (`id`, `kind`, `pipeline`, `window`, `key`, `window_start`, `window_end`, `values`
 * as JSON, `alert`) plus `dt`. `window` is a reserved word in DuckDB: quote it, e.g.
 * `SELECT key, "values"->>'events' AS events FROM results WHERE "window" = 'perMinute'`.
 */
export const RESULTS_VIEW = 'results';
/** The same view under the Glue table's name, so SQL written for Athena runs locally too. */
export const AGGREGATES_VIEW = 'aggregates';

/** The result of {@link queryWarehouse}: column names and rows as JSON-friendly values. */
export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
}

function hasObjects(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).some((name) => name.endsWith('.gz'));
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Fields the clean rows carry only for Firehose's partitioning (the prefix gives them as columns). */
const PARTITION_FIELDS = [CLEAN_FIELDS.eventType, CLEAN_FIELDS.dt, CLEAN_FIELDS.hour];

/** The statements that define the views over a warehouse folder. */
export function viewStatements(dir: string): string[] {
  const statements: string[] = [];
  const source = (prefix: string) =>
    `read_json(${quote(join(dir, prefix, '**', '*.gz'))}, format = 'newline_delimited', compression = 'gzip', ` +
    'hive_partitioning = true, union_by_name = true)';
  if (hasObjects(join(dir, CLEAN_EVENTS_PREFIX))) {
    const hidden = PARTITION_FIELDS.map(quote).join(', ');
    statements.push(
      `CREATE VIEW ${EVENTS_LOG_VIEW} AS SELECT COLUMNS(c -> c NOT IN (${hidden})) FROM ${source(CLEAN_EVENTS_PREFIX)}`,
    );
    // One row per sf_uid: the first to arrive. Rows of one sf_uid share their event hour, so partitioning the window
    // by dt and hour too changes nothing but lets a filter on dt/hour prune (as in Athena).
    statements.push(
      `CREATE VIEW ${EVENTS_VIEW} AS SELECT * FROM ${EVENTS_LOG_VIEW} QUALIFY row_number() OVER ` +
        `(PARTITION BY dt, hour, ${CLEAN_FIELDS.uid} ORDER BY ${CLEAN_DEDUPE_ORDER}) = 1`,
    );
  }
  if (hasObjects(join(dir, RAW_EVENTS_PREFIX))) {
    statements.push(`CREATE VIEW ${RAW_EVENTS_VIEW} AS SELECT * FROM ${source(RAW_EVENTS_PREFIX)}`);
  }
  if (hasObjects(join(dir, ERRORS_PREFIX))) {
    statements.push(`CREATE VIEW ${ERRORS_VIEW} AS SELECT * FROM ${source(ERRORS_PREFIX)}`);
  }
  // Results with the Glue table's columns, typed (an empty view with the same columns until results arrive).
  // One row per id: the emitter delivers a final result at least once (a resend after a failure carries the same id
  // and the same values), so the view keeps one row of each id, the earliest delivered.
  const results = hasObjects(join(dir, AGGREGATES_PREFIX))
    ? `SELECT * EXCLUDE (__file) FROM read_json(${quote(join(dir, AGGREGATES_PREFIX, '**', '*.gz'))}, format = 'newline_delimited', ` +
      `compression = 'gzip', hive_partitioning = true, filename = '__file', ` +
      `columns = {${RESULT_COLUMNS.map((c) => `"${c.name}": '${c.type}'`).join(', ')}}) ` +
      'QUALIFY row_number() OVER (PARTITION BY id ORDER BY dt, __file) = 1'
    : `SELECT ${RESULT_COLUMNS.map((c) => `NULL::${c.type} AS "${c.name}"`).join(', ')}, NULL::VARCHAR AS dt WHERE false`;
  statements.push(`CREATE VIEW ${RESULTS_VIEW} AS ${results}`);
  statements.push(`CREATE VIEW ${AGGREGATES_VIEW} AS SELECT * FROM ${RESULTS_VIEW}`);
  return statements;
}

/**
 * Run SQL with DuckDB over the local warehouse (`.streamfold/warehouse`): {@link EVENTS_VIEW} (each valid event once),
 * {@link EVENTS_LOG_VIEW} (every clean row delivered), {@link RAW_EVENTS_VIEW} and {@link ERRORS_VIEW} (the raw
 * stream and the raw records that failed partitioning) and {@link RESULTS_VIEW} (alias {@link AGGREGATES_VIEW}, the
 * final window results the emitter delivered).
 * @throws WarehouseEmptyError when nothing (no clean or raw events, no results) has been delivered yet.
 * @throws WarehouseQueryError when DuckDB rejects the SQL.
 * @example await queryWarehouse('.streamfold/warehouse', 'SELECT event_type, count(*) AS n FROM events GROUP BY 1')
 */
export async function queryWarehouse(dir: string, sql: string): Promise<QueryResult> {
  if (![CLEAN_EVENTS_PREFIX, RAW_EVENTS_PREFIX, AGGREGATES_PREFIX].some((prefix) => hasObjects(join(dir, prefix)))) {
    throw new WarehouseEmptyError(dir);
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    for (const statement of viewStatements(dir)) await connection.run(statement);
    const reader = await connection.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowObjectsJson() as Record<string, unknown>[] };
  } catch (error) {
    throw new WarehouseQueryError(sql, { cause: error });
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
