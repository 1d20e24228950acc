import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importOptional } from '../optional-packages';
import { WarehouseEmptyError, WarehouseQueryError } from './errors';
import { AGGREGATES_PREFIX, ERRORS_PREFIX, EVENTS_PREFIX, RESULT_COLUMNS } from './layout';

/** The view over delivered events that queries use: one row per event, plus `event_type`, `dt` and `hour`. */
export const EVENTS_VIEW = 'events';
/** The view over records that failed partitioning (`errorCode`, `errorMessage`, `rawData` base64, ...). */
export const ERRORS_VIEW = 'event_errors';
/**
 * The view over final window results (`aggregates/`): one row per window, key and start with the columns of the
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

/** The statements that define the views over a warehouse folder. */
export function viewStatements(dir: string): string[] {
  const statements: string[] = [];
  const source = (prefix: string) =>
    `read_json(${quote(join(dir, prefix, '**', '*.gz'))}, format = 'newline_delimited', compression = 'gzip', ` +
    'hive_partitioning = true, union_by_name = true)';
  if (hasObjects(join(dir, EVENTS_PREFIX))) {
    statements.push(`CREATE VIEW ${EVENTS_VIEW} AS SELECT * FROM ${source(EVENTS_PREFIX)}`);
  }
  if (hasObjects(join(dir, ERRORS_PREFIX))) {
    statements.push(`CREATE VIEW ${ERRORS_VIEW} AS SELECT * FROM ${source(ERRORS_PREFIX)}`);
  }
  // Results with the Glue table's columns, typed (an empty view with the same columns until results arrive).
  const results = hasObjects(join(dir, AGGREGATES_PREFIX))
    ? `SELECT * FROM read_json(${quote(join(dir, AGGREGATES_PREFIX, '**', '*.gz'))}, format = 'newline_delimited', ` +
      `compression = 'gzip', hive_partitioning = true, columns = {${RESULT_COLUMNS.map((c) => `"${c.name}": '${c.type}'`).join(', ')}})`
    : `SELECT ${RESULT_COLUMNS.map((c) => `NULL::${c.type} AS "${c.name}"`).join(', ')}, NULL::VARCHAR AS dt WHERE false`;
  statements.push(`CREATE VIEW ${RESULTS_VIEW} AS ${results}`);
  statements.push(`CREATE VIEW ${AGGREGATES_VIEW} AS SELECT * FROM ${RESULTS_VIEW}`);
  return statements;
}

/**
 * Run SQL with DuckDB over the local warehouse (`.streamfold/warehouse`): the view {@link EVENTS_VIEW} reads every
 * delivered gzip JSON-lines object with its hive partitions (`event_type`, `dt`, `hour`) as columns,
 * {@link ERRORS_VIEW} the records that failed partitioning, and {@link RESULTS_VIEW} (alias {@link AGGREGATES_VIEW})
 * the final window results the emitter delivered.
 * @throws WarehouseEmptyError when nothing (neither events nor results) has been delivered yet.
 * @throws WarehouseQueryError when DuckDB rejects the SQL.
 * @example await queryWarehouse('.streamfold/warehouse', 'SELECT event_type, count(*) AS n FROM events GROUP BY 1')
 */
export async function queryWarehouse(dir: string, sql: string): Promise<QueryResult> {
  if (!hasObjects(join(dir, EVENTS_PREFIX)) && !hasObjects(join(dir, AGGREGATES_PREFIX))) {
    throw new WarehouseEmptyError(dir);
  }
  const { DuckDBInstance } = await importOptional<typeof import('@duckdb/node-api')>(
    '@duckdb/node-api',
    '`streamfold query` (DuckDB)',
  );
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
