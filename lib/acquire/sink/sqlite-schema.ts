import type Database from 'better-sqlite3';
import { StorageError } from '../../core/errors.js';

/** Schema version in `PRAGMA user_version`; a file written by a newer daqd is refused. */
const SCHEMA_VERSION = 1;

/**
 * One file per database. A point is keyed by measurement, time and series (= measurement + tag set),
 * and that key is the table's clustered primary key: a time-range export of one measurement is a
 * range scan in time order (either direction) that needs no sort and no second index.
 * Fields are a JSON object so a second write of the same key can merge them (`json_patch`).
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS measurements (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY, measurement_id INTEGER NOT NULL, tags TEXT NOT NULL, UNIQUE (measurement_id, tags));
CREATE TABLE IF NOT EXISTS field_keys (
  measurement_id INTEGER NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL, PRIMARY KEY (measurement_id, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tag_keys (
  measurement_id INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (measurement_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS points (
  measurement_id INTEGER NOT NULL, time INTEGER NOT NULL, series_id INTEGER NOT NULL, fields TEXT NOT NULL,
  PRIMARY KEY (measurement_id, time, series_id)
) WITHOUT ROWID;
`;

/**
 * Creates the store's tables in a database opened for writing, if missing, and marks its schema version;
 * throws a non-retryable `StorageError` for a file written by a newer daqd.
 */
export function applySqliteSchema(db: Database.Database, database: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StorageError(
      `database '${database}': schema version ${version} is newer than this daqd understands (${SCHEMA_VERSION})`,
      false,
    );
  }
  db.exec(SCHEMA);
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
