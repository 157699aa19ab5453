import type { Cell } from '../../acquire/sink/sink.js';
import { QueryError } from '../../core/errors.js';

/** A result row: time in nanoseconds, then the cells. */
type Row = [bigint, ...Cell[]];

/** `sort=a,b&direction=…` by columns other than time alone (Kotori's `DataFrame.sort_values`). */
export interface RowSort {
  /** Column names, `time` among them if given; the first decides, the next break ties. */
  by: readonly string[];
  direction: 'asc' | 'desc';
  /** At most this many rows after sorting (Kotori applies `limit` after it sorts). */
  limit?: number | undefined;
}

/** Options of `sortRows`. */
export interface SortOptions {
  /** Most rows held to sort (default 100,000): a larger result is refused with `QueryError`. */
  maxRows?: number | undefined;
}

/**
 * Two months of readings a minute; about 20 MB of rows with a handful of columns, well inside the
 * heap daqd runs with.
 */
export const DEFAULT_MAX_SORT_ROWS = 100_000;

/**
 * Sorts rows by columns, as pandas' `sort_values` does for Kotori's export: values compared in
 * `direction`, missing values (null) last in either direction, rows with equal keys kept in the order
 * they came (time order). Numbers and booleans compare by value, text by code units, and numbers come
 * before text. Sorting needs every row at once: the rows are read to the end (at most `maxRows`) before
 * the first is handed on, then cut to `sort.limit`.
 * Throws `QueryError` for a column the result does not have, and when there are more than `maxRows`
 * rows (having closed the row stream).
 */
export async function sortRows(
  rows: AsyncIterable<Row>,
  columns: readonly string[],
  sort: RowSort,
  options: SortOptions = {},
): Promise<Row[]> {
  const keys = sort.by.map((name) => {
    if (name === 'time') return 0;
    const index = columns.indexOf(name);
    if (index === -1) {
      throw new QueryError(
        `cannot sort by '${clip(name)}': the export has no such column (it has time, ${columns.join(', ')})`,
      );
    }
    return index + 1;
  });
  const maxRows = options.maxRows ?? DEFAULT_MAX_SORT_ROWS;
  const held: Row[] = [];
  for await (const row of rows) {
    if (held.length === maxRows) {
      // Leaving the loop early closes the row stream.
      throw new QueryError(
        `sorting by '${sort.by.join(',')}' holds the rows in memory, at most ${maxRows}; ` +
          'narrow from/to, or use last=N (the newest N rows, then sorted)',
      );
    }
    held.push(row);
  }
  const sign = sort.direction === 'desc' ? -1 : 1;
  // Array.prototype.sort is stable (ES2019), so equal keys keep their time order.
  held.sort((a, b) => {
    for (const key of keys) {
      const x = a[key];
      const y = b[key];
      const xMissing = x === null || x === undefined;
      const yMissing = y === null || y === undefined;
      if (xMissing || yMissing) {
        if (xMissing && yMissing) continue;
        return xMissing ? 1 : -1;
      }
      const order = compareValues(x, y);
      if (order !== 0) return sign * order;
    }
    return 0;
  });
  return sort.limit === undefined ? held : held.slice(0, sort.limit);
}

function compareValues(x: bigint | Exclude<Cell, null>, y: bigint | Exclude<Cell, null>): number {
  const xText = typeof x === 'string';
  const yText = typeof y === 'string';
  if (xText !== yText) return xText ? 1 : -1;
  if (xText) return x < y ? -1 : x > y ? 1 : 0;
  // Times are bigints, cells numbers or booleans: `<` compares them by value across the types.
  const a = typeof x === 'boolean' ? Number(x) : (x as number | bigint);
  const b = typeof y === 'boolean' ? Number(y) : (y as number | bigint);
  return a < b ? -1 : a > b ? 1 : 0;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
