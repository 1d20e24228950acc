/**
 * DynamoDB's capacity rules as AWS bills on-demand requests (the Developer Guide's "read/write capacity unit
 * consumption" pages), for item sizes computed with lambdas/state/item-size.ts:
 * - a write costs one write unit per started 1 KB of the LARGER of the item before and after it (PutItem over an
 *   existing item, UpdateItem), of the item deleted (DeleteItem), at least 1; a write whose condition fails costs the
 *   units of the existing item (at least 1); transactional writes cost twice;
 * - a read costs one read unit per started 4 KB of the item (half for an eventually consistent read); a key that does
 *   not exist still costs the minimum (1, or 0.5) — DynamoDB Local reports 0 for it;
 * - Query and Scan cost by the total size of the items they read, rounded up to 4 KB once per request (at least the
 *   minimum), whatever a projection or filter leaves out.
 */

/** Bytes per write unit. */
export const WRITE_UNIT_BYTES = 1024;
/** Bytes per read unit (strongly consistent). */
export const READ_UNIT_BYTES = 4096;

/** Write units of a standard write: `before` / `after` are the item sizes (undefined: no item). */
export function writeUnits(before: number | undefined, after: number | undefined): number {
  return Math.max(1, Math.ceil(Math.max(before ?? 0, after ?? 0) / WRITE_UNIT_BYTES));
}

/** Write units a write whose condition failed costs: the existing item's (at least 1). */
export function failedWriteUnits(existing: number | undefined): number {
  return writeUnits(existing, undefined);
}

/** Read units of reading one item of `size` bytes (undefined: the key does not exist). */
export function itemReadUnits(size: number | undefined, consistent: boolean): number {
  const units = Math.max(1, Math.ceil((size ?? 0) / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Read units of a Query or Scan page that read items of `totalBytes` in all. */
export function queryReadUnits(totalBytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(totalBytes / READ_UNIT_BYTES));
  return consistent ? units : units / 2;
}

/** Transactions (TransactWriteItems, TransactGetItems) cost twice the units of the same standard request. */
export const TRANSACTION_FACTOR = 2;

/** Write units of one item of a TransactWriteItems (Put, Update, Delete or ConditionCheck): twice a standard write. */
export function transactionalWriteUnits(before: number | undefined, after: number | undefined): number {
  return TRANSACTION_FACTOR * writeUnits(before, after);
}

/** Read units of one item of a TransactGetItems (always strongly consistent): twice a strongly consistent read. */
export function transactionalReadUnits(size: number | undefined): number {
  return TRANSACTION_FACTOR * itemReadUnits(size, true);
}
