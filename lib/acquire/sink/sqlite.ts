import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { DEFAULT_MAX_OPEN_DATABASES } from '../../config/settings.js';
import { databaseToFileName } from '../../core/database-file-name.js';
import { errorMessage, QueryError, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { FieldValue, Point } from '../../core/point.js';
import type { Cell, QueryResult, SeriesQuery, Sink } from './sink.js';
import { INT64_MAX, INT64_MIN, SqliteWriter } from './sqlite-writer.js';

type Db = Database.Database;
type Row = [bigint, ...Cell[]];

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

/** Rows between two turns of the event loop while a query streams. */
const ROWS_PER_TURN = 2048;

/**
 * The embedded store of zero-setup mode: InfluxDB's data model on SQLite (better-sqlite3),
 * one file per database at `<dataDir>/sqlite/<database>.sqlite` (named by `databaseToFileName`), WAL
 * mode, `synchronous=FULL` so a resolved `write` survives a power cut.
 *
 * InfluxDB semantics it keeps:
 * - a point is identified by measurement + tag set + time (integer ns, exact); writing it again merges
 *   the fields, new values winning;
 * - a field's type (float, string, boolean) is fixed by its first write in a measurement; a point with a
 *   conflicting type is rejected while the other points of the batch are written (InfluxDB 1.x "partial
 *   write"), and `write` then throws a non-retryable `StorageError` that says how many were dropped;
 * - tags with an empty value are left out (line protocol cannot carry them);
 * - a query row appears only when at least one selected field has a value; `where` compares tag values,
 *   a missing tag counting as `''`.
 *
 * Queries run on a connection of their own (a consistent snapshot; writes go on meanwhile) and
 * yield to the event loop every few thousand rows, so a long export does not stall other requests.
 *
 * At most `maxOpen` write connections stay open (three file descriptors each); the least recently
 * written database is closed first. Out of file descriptors (EMFILE), it closes half of them and tries
 * again, so thousands of databases neither exhaust the process's descriptors nor lose a write.
 *
 * A database file that is not a database or is corrupt is damage, not an outage: the write fails with a
 * retryable `StorageError` marked `corrupt` (its readings are kept and written once the file is repaired
 * or replaced), the file is named once in the log at error level and in `damage()` until a write to it
 * succeeds again.
 */
export class SqliteSink implements Sink {
  readonly kind = 'sqlite';
  private readonly dir: string;
  private readonly log: Log;
  private readonly maxOpen: number;
  /** Open write connections, least recently used first (a Map keeps insertion order). */
  private readonly writers = new Map<string, SqliteWriter>();
  /** Damaged databases and why, until a write to them succeeds again. */
  private readonly damaged = new Map<string, string>();
  private readonly cursors = new Set<Cursor>();
  private running = false;

  /** `maxOpen`: `[storage] max_open_databases`. */
  constructor(ctx: { dataDir: string; log: Log; maxOpen?: number | undefined }) {
    this.dir = join(ctx.dataDir, 'sqlite');
    this.log = ctx.log;
    this.maxOpen = Math.max(1, ctx.maxOpen ?? DEFAULT_MAX_OPEN_DATABASES);
  }

  async start(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true });
    } catch (err) {
      throw new StorageError(`sqlite: cannot create '${this.dir}': ${errorMessage(err)}`, true, {
        cause: err,
      });
    }
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    // Writes run synchronously inside `write`, so none is in flight here; open queries are ended.
    for (const cursor of this.cursors) cursor.close();
    this.cursors.clear();
    for (const name of [...this.writers.keys()]) this.close(name);
  }

  async ping(): Promise<boolean> {
    return this.running;
  }

  damage(): readonly string[] {
    return [...this.damaged.values()];
  }

  /** Write connections open right now (at most `maxOpen`). */
  get openDatabases(): number {
    return this.writers.size;
  }

  async write(database: string, points: readonly Point[]): Promise<void> {
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const problem = databaseNameProblem(database);
    if (problem !== undefined) throw new StorageError(`sqlite: database '${database}': ${problem}`, false);
    if (points.length === 0) return;
    const writer = this.writer(database);
    let rejected: string[];
    try {
      rejected = writer.writeBatch(points);
    } catch (err) {
      // The transaction rolled back: forget what the caches learnt inside it.
      writer.resetCaches();
      const failure = this.failure(database, err, 'write failed');
      // Opened again for the next write: a file replaced meanwhile is then the one written.
      if (failure.corrupt) this.close(database);
      throw failure;
    }
    if (this.damaged.delete(database)) this.log.notice(`database '${database}': writable again`);
    if (rejected.length > 0) {
      const more = rejected.length > 1 ? ` (and ${rejected.length - 1} more)` : '';
      throw new StorageError(
        `database '${database}': partial write: ${points.length - rejected.length} of ${points.length} points ` +
          `written, ${rejected.length} rejected: ${rejected[0]}${more} dropped=${rejected.length}`,
        false,
      );
    }
    if (this.log.isDebug()) this.log.debug(`database '${database}': stored ${points.length} points`);
  }

  async query(q: SeriesQuery): Promise<QueryResult> {
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const problem = databaseNameProblem(q.database);
    if (problem !== undefined) throw new QueryError(`database '${q.database}': ${problem}`);
    const db = this.openExisting(q.database);
    if (db === undefined) return { columns: [], rows: noRows() };
    let plan: RowPlan | undefined;
    try {
      plan = planQuery(db, q);
    } catch (err) {
      throw this.failure(q.database, err, 'query failed');
    } finally {
      db.close();
    }
    if (plan === undefined) return { columns: [], rows: noRows() };
    return { columns: plan.columns, rows: this.rows(q, plan) };
  }

  async measurements(database: string): Promise<string[]> {
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const problem = databaseNameProblem(database);
    if (problem !== undefined) throw new QueryError(`database '${database}': ${problem}`);
    const db = this.openExisting(database);
    if (db === undefined) return [];
    try {
      const sql =
        'SELECT name FROM measurements m WHERE EXISTS (SELECT 1 FROM series WHERE measurement_id = m.id)';
      return (db.prepare(sql).pluck().all() as string[]).sort();
    } catch (err) {
      throw this.failure(database, err, 'listing measurements failed');
    } finally {
      db.close();
    }
  }

  /**
   * The file of a database, named by `databaseToFileName`. Earlier daqd versions used the database name
   * as it is: a file found under that name stays where it is and is used.
   */
  private file(database: string): string {
    const file = join(this.dir, `${databaseToFileName(database)}.sqlite`);
    const legacy = join(this.dir, `${database}.sqlite`);
    return legacy !== file && !existsSync(file) && existsSync(legacy) ? legacy : file;
  }

  /**
   * The write connection of a database (now the most recently used), creating the file and schema on
   * first use; the least recently used one is closed when `maxOpen` are open.
   */
  private writer(database: string): SqliteWriter {
    const open = this.writers.get(database);
    if (open !== undefined) {
      this.writers.delete(database);
      this.writers.set(database, open);
      return open;
    }
    while (this.writers.size >= this.maxOpen) this.closeOldest();
    let writer: SqliteWriter;
    try {
      writer = this.openWriter(database);
    } catch (err) {
      // EMFILE/ENFILE show as SQLITE_CANTOPEN: our idle databases hold descriptors that can be given back.
      if (!isCantOpen(err) || this.writers.size === 0) throw this.failure(database, err, 'cannot open');
      const closing = Math.ceil(this.writers.size / 2);
      this.log.warning(
        `database '${database}': cannot open (${errorMessage(err)}); closing ${closing} idle database(s) and trying again`,
      );
      for (let i = 0; i < closing; i++) this.closeOldest();
      try {
        writer = this.openWriter(database);
      } catch (again) {
        throw this.failure(database, again, 'cannot open');
      }
    }
    this.writers.set(database, writer);
    if (this.log.isDebug()) this.log.debug(`database '${database}': opened ${this.file(database)}`);
    return writer;
  }

  /** Opens a database for writing; throws what SQLite (or the schema check) threw. */
  private openWriter(database: string): SqliteWriter {
    let db: Db | undefined;
    try {
      db = new Database(this.file(database));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -16384');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new StorageError(
          `database '${database}': schema version ${version} is newer than this daqd understands (${SCHEMA_VERSION})`,
          false,
        );
      }
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return new SqliteWriter(db);
    } catch (err) {
      db?.close();
      throw err;
    }
  }

  private closeOldest(): void {
    const oldest = this.writers.keys().next();
    if (oldest.done !== true) this.close(oldest.value);
  }

  /** Closes a database's write connection, if open. */
  private close(database: string): void {
    const writer = this.writers.get(database);
    if (writer === undefined) return;
    this.writers.delete(database);
    try {
      writer.db.close();
    } catch (err) {
      this.log.warning(`database '${database}': close failed: ${errorMessage(err)}`);
    }
  }

  /**
   * The `StorageError` for a failure of a database; a corrupt file is remembered as damage and logged
   * the first time.
   */
  private failure(database: string, err: unknown, context: string): StorageError {
    if (err instanceof StorageError) return err;
    if (!isCorruption(err)) return asStorageError(err, `database '${database}': ${context}`);
    const reason = `database '${database}': ${this.file(database)} is corrupt (${errorMessage(err)})`;
    if (!this.damaged.has(database)) {
      this.damaged.set(database, reason);
      this.log.error(
        `${reason}: its readings are kept (spooled, or unacknowledged without a spool) and written once ` +
          "the file is repaired or replaced (moved aside: a new one is created); 'daqd check' lists damaged files",
      );
    }
    return new StorageError(reason, true, { cause: err, corrupt: true });
  }

  /**
   * `daqd check`: runs SQLite's `quick_check` on every database file and returns a line per damaged or
   * unreadable one. Only reads (safe while a daqd runs); needs no `start()`.
   */
  async check(): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => name.endsWith('.sqlite')).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return [`${this.dir}: cannot read: ${errorMessage(err)}`];
    }
    const problems: string[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      let db: Db | undefined;
      try {
        db = new Database(file, { fileMustExist: true });
        db.pragma('query_only = 1');
        db.pragma('busy_timeout = 5000');
        const found = (db.pragma('quick_check') as { quick_check: string }[])
          .map((row) => row.quick_check)
          .filter((line) => line !== 'ok');
        if (found.length > 0) {
          const more = found.length > 1 ? ` (and ${found.length - 1} more)` : '';
          problems.push(`${file}: corrupt: ${found[0]}${more}`);
        }
      } catch (err) {
        problems.push(`${file}: ${isCorruption(err) ? 'corrupt' : 'cannot check'}: ${errorMessage(err)}`);
      } finally {
        db?.close();
      }
    }
    return problems;
  }

  /** A fresh read connection, or undefined when the database has never been written. */
  private openExisting(database: string): Db | undefined {
    const file = this.file(database);
    if (!existsSync(file)) return undefined;
    try {
      const db = new Database(file, { fileMustExist: true });
      db.pragma('query_only = 1');
      db.pragma('busy_timeout = 5000');
      // Another process (a running daqd) may have created the file but not yet its schema.
      if ((db.pragma('user_version', { simple: true }) as number) === 0) {
        db.close();
        return undefined;
      }
      return db;
    } catch (err) {
      throw this.failure(database, err, 'cannot open');
    }
  }

  /**
   * Streams the rows of a planned query on a connection of its own, opened at the first `next()`:
   * a result that is never read holds nothing open.
   */
  private async *rows(q: SeriesQuery, plan: RowPlan): AsyncGenerator<Row> {
    if (q.from > q.to || q.limit === 0) return;
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const db = this.openExisting(q.database);
    if (db === undefined) return;
    let cursor: Cursor | undefined;
    try {
      const seriesTags = new Map<number, Record<string, string>>();
      const wanted: number[] = [];
      const series = db
        .prepare('SELECT id, tags FROM series WHERE measurement_id = ?')
        .raw()
        .all(plan.measurementId);
      for (const [id, tags] of series as [number, string][]) {
        const parsed = JSON.parse(tags) as Record<string, string>;
        seriesTags.set(id, parsed);
        if (q.where !== undefined && matchesWhere(parsed, q.where)) wanted.push(id);
      }
      if (q.where !== undefined && wanted.length === 0) return;

      const dir = q.order === 'desc' ? 'DESC' : 'ASC';
      const sqlLimit = q.limit !== undefined && !plan.dropEmpty;
      const sql =
        'SELECT time, series_id, fields FROM points WHERE measurement_id = ? AND time >= ? AND time <= ?' +
        (q.where === undefined ? '' : ' AND series_id IN (SELECT value FROM json_each(?))') +
        ` ORDER BY time ${dir}, series_id ${dir}` +
        (sqlLimit ? ' LIMIT ?' : '');
      const params: unknown[] = [plan.measurementId, clampInt64(q.from), clampInt64(q.to)];
      if (q.where !== undefined) params.push(JSON.stringify(wanted));
      if (sqlLimit) params.push(q.limit);
      const iterator = db
        .prepare(sql)
        .raw()
        .safeIntegers(true)
        .iterate(...params) as IterableIterator<[bigint, bigint, string]>;
      cursor = new Cursor(db, iterator);
      this.cursors.add(cursor);

      const { columns, isField } = plan;
      let scanned = 0;
      let yielded = 0;
      while (true) {
        if (cursor.closed) throw new StorageError('sqlite: query ended because the sink stopped', true);
        const next = cursor.iterator.next();
        if (next.done === true) return;
        const [time, seriesId, fieldsJson] = next.value;
        const fields = JSON.parse(fieldsJson) as Record<string, FieldValue>;
        const tags = seriesTags.get(Number(seriesId)) ?? {};
        const row: Row = [time];
        let hasField = false;
        for (let i = 0; i < columns.length; i++) {
          const name = columns[i]!;
          // hasOwn: a key such as `constructor` must not find Object.prototype.
          const source: Record<string, FieldValue> = isField[i] ? fields : tags;
          const value = Object.hasOwn(source, name) ? source[name]! : null;
          if (isField[i] && value !== null) hasField = true;
          row.push(value);
        }
        if (!plan.dropEmpty || hasField) {
          yield row;
          yielded++;
          if (q.limit !== undefined && yielded >= q.limit) return;
        }
        if (++scanned % ROWS_PER_TURN === 0) await nextTurn();
      }
    } catch (err) {
      throw this.failure(q.database, err, 'query failed');
    } finally {
      if (cursor === undefined) db.close();
      else {
        cursor.close();
        this.cursors.delete(cursor);
      }
    }
  }
}

/** What a query reads, worked out from the measurement's keys. */
interface RowPlan {
  measurementId: number;
  columns: string[];
  /** Per column: a field (else a tag). */
  isField: boolean[];
  /** Leave out rows without any selected field (InfluxDB does); needed only when some fields are not selected. */
  dropEmpty: boolean;
}

/** The plan of a query, or undefined when the measurement does not exist. */
function planQuery(db: Db, q: SeriesQuery): RowPlan | undefined {
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

/** An open query: its connection and statement iterator, closed when the rows end or the sink stops. */
class Cursor {
  closed = false;
  constructor(
    private readonly db: Db,
    readonly iterator: IterableIterator<[bigint, bigint, string]>,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The statement must be finished before its connection can close.
    this.iterator.return?.();
    this.db.close();
  }
}

async function* noRows(): AsyncGenerator<Row> {}

/** Why a database name cannot be a file name here, or undefined when it can. */
function databaseNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'empty database name';
  if (name.length > 200) return 'database name longer than 200 characters';
  if (/[/\\\0]/.test(name)) return 'database name must not contain path separators';
  if (name.includes('..') || name.startsWith('.'))
    return "database name must not contain '..' or start with '.'";
  return undefined;
}

function matchesWhere(tags: Record<string, string>, where: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(where)) {
    // InfluxDB: a series without the tag has the empty value.
    const actual = Object.hasOwn(tags, key) ? tags[key] : '';
    if (actual !== value) return false;
  }
  return true;
}

function clampInt64(value: bigint): bigint {
  return value < INT64_MIN ? INT64_MIN : value > INT64_MAX ? INT64_MAX : value;
}

/** SQLite errors about the environment (busy, full disk, I/O) may pass; our own misuse will not. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof Database.SqliteError)) return false;
  return !/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE|ERROR)/.test(err.code);
}

/** A file that is not a database, or a damaged one (also SQLITE_CORRUPT_INDEX, _SEQUENCE, …). */
function isCorruption(err: unknown): boolean {
  return err instanceof Database.SqliteError && /^SQLITE_(NOTADB|CORRUPT)/.test(err.code);
}

/** SQLite could not open a file: among other causes, the process is out of file descriptors. */
function isCantOpen(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CANTOPEN');
}

function asStorageError(err: unknown, context: string): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError(`${context}: ${errorMessage(err)}`, isRetryable(err), { cause: err });
}
