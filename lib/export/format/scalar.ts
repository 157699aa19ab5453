import type { QueryResult } from '../../acquire/sink/sink.js';
import { NotFoundError } from '../../core/errors.js';

/**
 * The first non-null value of `field` in the result, as plain text (numbers as JavaScript prints them,
 * `true`/`false`, strings as they are) — for "latest value" endpoints that want just a number.
 * Reads rows only until it finds one and then closes the row stream.
 * Throws `NotFoundError` when the result has no such column or the column holds no value: a result only
 * has the columns that have data in the range, so both mean "nothing there" rather than a bad request.
 */
export async function renderScalar(result: QueryResult, field: string): Promise<string> {
  const index = result.columns.indexOf(field);
  if (index === -1) {
    // Close the row stream unread so that the store can release what it holds for it.
    await result.rows[Symbol.asyncIterator]().return?.();
    throw new NotFoundError(`no field '${field}' in the result`);
  }
  for await (const row of result.rows) {
    const value = row[index + 1];
    if (value !== null && value !== undefined) return String(value);
  }
  throw new NotFoundError(`field '${field}' has no value in the range`);
}
