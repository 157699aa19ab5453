import { LATEST_TIME } from '../acquire/sanitize/storage-address.js';
import type { Cell, Sink } from '../acquire/sink/sink.js';

/** A row read back: its time and the columns that have a value. */
export interface StoredRow {
  /** Integer nanoseconds since the epoch. */
  time: bigint;
  data: Record<string, number | string | boolean>;
}

/** Which series, and from when on. */
export interface RowsQuery {
  database: string;
  measurement: string;
  /** Inclusive lower bound, nanoseconds. */
  from: bigint;
}

/** The newest `limit` rows of a series since `from`, newest first. */
export async function newestRows(sink: Sink, query: RowsQuery, limit: number): Promise<StoredRow[]> {
  const result = await sink.query({ ...query, to: LATEST_TIME, order: 'desc', limit });
  const rows: StoredRow[] = [];
  for await (const row of result.rows) {
    const entries: [string, number | string | boolean][] = [];
    result.columns.forEach((column, i) => {
      const value = row[i + 1] as Cell | undefined;
      if (value !== null && value !== undefined) entries.push([column, value]);
    });
    // fromEntries defines own properties: a field named `__proto__` stays a field.
    rows.push({ time: row[0], data: Object.fromEntries(entries) });
    if (rows.length >= limit) break;
  }
  return rows;
}

/** The newest row of a series since `from`, or undefined when it has none. */
export async function newestRow(sink: Sink, query: RowsQuery): Promise<StoredRow | undefined> {
  return (await newestRows(sink, query, 1))[0];
}
