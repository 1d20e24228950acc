/** The local warehouse has no delivered objects yet, so there is nothing to query. */
export class WarehouseEmptyError extends Error {
  override readonly name = 'WarehouseEmptyError';
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
export class WarehouseQueryError extends Error {
  override readonly name = 'WarehouseQueryError';
  constructor(
    /** The SQL as given. */
    readonly sql: string,
    options: { cause: unknown },
  ) {
    const reason = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`Query failed: ${reason}\n  SQL: ${sql}`, options);
  }
}

/** A warehouse delivery setting is outside what Firehose accepts. */
export class WarehouseSettingError extends Error {
  override readonly name = 'WarehouseSettingError';
  constructor(
    /** The setting name. */
    readonly setting: string,
    /** The rejected value. */
    readonly value: unknown,
    /** What is accepted. */
    readonly expected: string,
  ) {
    super(`Warehouse setting ${setting} = ${JSON.stringify(value)} is invalid: expected ${expected}.`);
  }
}
