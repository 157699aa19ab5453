import type Database from 'better-sqlite3';
import type { SeriesQuery } from './sink.js';

/** What a query reads, worked out from the measurement's keys. */
export interface RowPlan {
  measurementId: number;
  columns: string[];
  /** Per column: a field (else a tag). */
  isField: boolean[];
  /** Leave out rows without any selected field (InfluxDB does); needed only when some fields are not selected. */
  dropEmpty: boolean;
}

/** The plan of a query, or undefined when the measurement does not exist. */
export function planQuery(db: Database.Database, q: SeriesQuery): RowPlan | undefined {
  const measurementId = db.prepare('SELECT id FROM measurements WHERE name = ?').pluck().get(q.measurement) as
    | number
    | undefined;
  if (measurementId === undefined) return undefined;
  const keys = (table: string) =>
    new Set(
      db.prepare(`SELECT key FROM ${table} WHERE measurement_id = ?`).pluck().all(measurementId) as string[],
    );
  const fieldKeys = keys('field_keys');
  const tagKeys = keys('tag_keys');
  const include = q.include === undefined ? undefined : new Set(q.include);
  const exclude = new Set(q.exclude ?? []);
  // InfluxDB's `SELECT *` lists fields and tags together in name order; a name that is both is a field here.
  const columns = [...new Set([...fieldKeys, ...tagKeys])]
    .filter((name) => (include === undefined || include.has(name)) && !exclude.has(name))
    .sort();
  const isField = columns.map((name) => fieldKeys.has(name));
  const selectedFields = isField.filter(Boolean).length;
  // Every stored row has a field, so with all fields selected nothing is left out and SQL may apply the limit.
  return {
    measurementId,
    columns,
    isField,
    dropEmpty: selectedFields > 0 && selectedFields < fieldKeys.size,
  };
}
