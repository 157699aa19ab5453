import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_MAX_OPEN_DATABASES } from '../../config/settings.js';
import { fileNameToDatabase } from '../../core/database-file-name.js';
import { errorMessage, QueryError, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { QueryResult, SeriesQuery, Sink } from './sink.js';
import { checkSqliteFiles } from './sqlite-check.js';
import { SqliteDamage } from './sqlite-damage.js';
import { sqliteDatabaseFile } from './sqlite-database-file.js';
import { SqliteReader } from './sqlite-reader.js';
import { SqliteWriterPool } from './sqlite-writer-pool.js';

/** The suffix of a database file. */
const SQLITE_SUFFIX = '.sqlite';

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
  private readonly damaged: SqliteDamage;
  private readonly writers: SqliteWriterPool;
  private readonly reader: SqliteReader;
  private running = false;

  /** `maxOpen`: `[storage] max_open_databases`. */
  constructor(ctx: { dataDir: string; log: Log; maxOpen?: number | undefined }) {
    this.dir = join(ctx.dataDir, 'sqlite');
    this.log = ctx.log;
    const file = (database: string) => sqliteDatabaseFile(this.dir, database);
    this.damaged = new SqliteDamage({ log: ctx.log, file });
    this.writers = new SqliteWriterPool({
      log: ctx.log,
      maxOpen: Math.max(1, ctx.maxOpen ?? DEFAULT_MAX_OPEN_DATABASES),
      file,
      damage: this.damaged,
    });
    this.reader = new SqliteReader({ file, damage: this.damaged, running: () => this.running });
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
    this.reader.stop();
    this.writers.closeAll();
  }

  async ping(): Promise<boolean> {
    return this.running;
  }

  damage(): readonly string[] {
    return this.damaged.list();
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
    const writer = this.writers.writer(database);
    let rejected: string[];
    try {
      rejected = writer.writeBatch(points);
    } catch (err) {
      // The transaction rolled back: forget what the caches learnt inside it.
      writer.resetCaches();
      const failure = this.damaged.failure(database, err, 'write failed');
      // Opened again for the next write: a file replaced meanwhile is then the one written.
      if (failure.corrupt) this.writers.close(database);
      throw failure;
    }
    this.damaged.healed(database);
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
    return this.reader.query(q);
  }

  async measurements(database: string): Promise<string[]> {
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const problem = databaseNameProblem(database);
    if (problem !== undefined) throw new QueryError(`database '${database}': ${problem}`);
    return this.reader.measurements(database);
  }

  /** The databases with a file in the store's folder (listed whether the sink runs or not). */
  async databases(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StorageError(`sqlite: cannot list '${this.dir}': ${errorMessage(err)}`, true, { cause: err });
    }
    const databases = new Set<string>();
    for (const name of names) {
      if (!name.endsWith(SQLITE_SUFFIX)) continue;
      const base = name.slice(0, -SQLITE_SUFFIX.length);
      // A file of an earlier daqd is named by the database as it is (see `sqliteDatabaseFile`).
      databases.add(fileNameToDatabase(base) ?? base);
    }
    return [...databases].sort();
  }

  async fieldKeys(database: string, measurement: string): Promise<string[]> {
    if (!this.running) throw new StorageError('sqlite: sink is not running', true);
    const problem = databaseNameProblem(database);
    if (problem !== undefined) throw new QueryError(`database '${database}': ${problem}`);
    return this.reader.fieldKeys(database, measurement);
  }

  /**
   * `daqd check`: runs SQLite's `quick_check` on every database file and returns a line per damaged or
   * unreadable one. Only reads (safe while a daqd runs); needs no `start()`.
   */
  async check(): Promise<string[]> {
    return checkSqliteFiles(this.dir);
  }
}

/** Why a database name cannot be a file name here, or undefined when it can. */
function databaseNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'empty database name';
  if (name.length > 200) return 'database name longer than 200 characters';
  if (/[/\\\0]/.test(name)) return 'database name must not contain path separators';
  if (name.includes('..') || name.startsWith('.'))
    return "database name must not contain '..' or start with '.'";
  return undefined;
}
