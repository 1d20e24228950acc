import { StreamfoldError } from '../../core/errors';

/** The local warehouse has no delivered objects yet, so there is nothing to query. */
export class WarehouseEmptyError extends StreamfoldError {
  override readonly name = 'WarehouseEmptyError';
  readonly code = 'WAREHOUSE_EMPTY';
  constructor(
    /** The warehouse folder that was searched. */
    readonly dir: string,
  ) {
    super(
      `No delivered events or results in ${dir} yet: run \`npm start\` (or \`streamfold dev\`) first; objects appear when a ` +
        'partition buffer flushes (every 60 s, or at the end of the run).',
    );
  }
}

/** DuckDB rejected the SQL or could not read the warehouse files. */
export class WarehouseQueryError extends StreamfoldError {
  override readonly name = 'WarehouseQueryError';
  readonly code = 'WAREHOUSE_QUERY_FAILED';
  constructor(
    /** The SQL as given. */
    readonly sql: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`Query failed: ${reason}\n  SQL: ${sql}`, options);
  }
}
