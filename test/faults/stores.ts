import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { InfluxdProcess } from '../support/influxd.js';

/** Every `seq` field in the store, one entry per stored copy. */
export type StoredSeqs = () => Promise<number[]>;

const PAGE = 10_000;

/** The `seq` fields of a measurement in a real influxd, read in pages (no row limit matters). */
export function influxSeqs(influxd: InfluxdProcess, database: string, measurement: string): StoredSeqs {
  return async () => {
    const seqs: number[] = [];
    for (let offset = 0; ; offset += PAGE) {
      let answer: unknown;
      try {
        answer = await influxd.query(
          `SELECT "seq" FROM "${measurement}" LIMIT ${PAGE} OFFSET ${offset}`,
          database,
        );
      } catch (err) {
        // Nothing was written yet.
        if (/database not found/.test(String(err))) return seqs;
        throw err;
      }
      const values =
        (answer as { results?: { series?: { values?: [string, number][] }[] }[] }).results?.[0]?.series?.[0]
          ?.values ?? [];
      for (const [, seq] of values) seqs.push(seq);
      if (values.length < PAGE) return seqs;
    }
  };
}

/** The `seq` fields in one database file of daqd's SQLite store, read on a read-only connection. */
export function sqliteSeqs(file: string): StoredSeqs {
  return async () => {
    if (!existsSync(file)) return [];
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT json_extract(fields, '$.seq') FROM points").pluck().all() as number[];
    } finally {
      db.close();
    }
  };
}
