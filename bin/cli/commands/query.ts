import { resolve } from 'node:path';
import Table from 'cli-table3';
import { EVENTS_VIEW, queryWarehouse } from '../../../local/warehouse/index';
import type { RegisterCommand } from '../context';

interface QueryFlags {
  dir: string;
  json?: boolean;
}

const cell = (value: unknown) =>
  value === null || value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);

/**
 * `streamfold query "<SQL>"`: DuckDB over the local warehouse (views `events`, `events_log`, `raw_events`,
 * `event_errors`, `results`).
 */
export const registerQuery: RegisterCommand = (program, context) => {
  program
    .command('query')
    .description(
      'Run SQL with DuckDB over the local warehouse `streamfold dev` delivered into. The view ' +
        `\`${EVENTS_VIEW}\` holds the clean events: each valid event once (deduplicated by its sf_uid), with its fields, ` +
        'the sf_ metadata and the partition columns event_type, dt and hour (event time); `events_log` every clean ' +
        'row as delivered (at-least-once); `raw_events` the raw stream (duplicates and invalid records included) and ' +
        '`event_errors` the raw records that could not be partitioned; `results` (alias `aggregates`, the Glue ' +
        "table's name) the final window results with the columns id, kind, pipeline, window, key, window_start, " +
        'window_end, values (JSON), alert, dt (quote "window": it is a reserved word).',
    )
    .argument('<sql>', `SQL, e.g. "SELECT event_type, count(*) AS n FROM ${EVENTS_VIEW} GROUP BY 1 ORDER BY n DESC"`)
    .option('-d, --dir <dir>', 'working folder of `streamfold dev`', '.streamfold')
    .option('--json', 'print rows as JSON lines instead of a table')
    .action(async (sql: string, flags: QueryFlags) => {
      const { columns, rows } = await queryWarehouse(resolve(context.cwd, flags.dir, 'warehouse'), sql);
      if (flags.json) {
        for (const row of rows) context.stdout(`${JSON.stringify(row)}\n`);
        return;
      }
      const table = new Table({ head: columns, style: { head: [], border: [] } });
      for (const row of rows) table.push(columns.map((c) => cell(row[c])));
      context.stdout(`${table.toString()}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`);
    });
};
