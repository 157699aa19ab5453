import Database from 'better-sqlite3';
import { errorMessage } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { SqliteDamage } from './sqlite-damage.js';
import { isCantOpen } from './sqlite-errors.js';
import { applySqliteSchema } from './sqlite-schema.js';
import { SqliteWriter } from './sqlite-writer.js';

/**
 * The open write connections of the embedded store, at most `maxOpen` (three file descriptors each); the
 * least recently written database is closed first. Out of file descriptors (EMFILE), it closes half of
 * them and tries again, so thousands of databases neither exhaust the process's descriptors nor lose a
 * write.
 */
export class SqliteWriterPool {
  private readonly log: Log;
  private readonly maxOpen: number;
  private readonly file: (database: string) => string;
  private readonly damage: SqliteDamage;
  /** Open write connections, least recently used first (a Map keeps insertion order). */
  private readonly writers = new Map<string, SqliteWriter>();

  constructor(ctx: { log: Log; maxOpen: number; file: (database: string) => string; damage: SqliteDamage }) {
    this.log = ctx.log;
    this.maxOpen = ctx.maxOpen;
    this.file = ctx.file;
    this.damage = ctx.damage;
  }

  /** Write connections open right now (at most `maxOpen`). */
  get size(): number {
    return this.writers.size;
  }

  /**
   * The write connection of a database (now the most recently used), creating the file and schema on
   * first use; the least recently used one is closed when `maxOpen` are open.
   */
  writer(database: string): SqliteWriter {
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
      if (!isCantOpen(err) || this.writers.size === 0)
        throw this.damage.failure(database, err, 'cannot open');
      const closing = Math.ceil(this.writers.size / 2);
      this.log.warning(
        `database '${database}': cannot open (${errorMessage(err)}); closing ${closing} idle database(s) and trying again`,
      );
      for (let i = 0; i < closing; i++) this.closeOldest();
      try {
        writer = this.openWriter(database);
      } catch (again) {
        throw this.damage.failure(database, again, 'cannot open');
      }
    }
    this.writers.set(database, writer);
    if (this.log.isDebug()) this.log.debug(`database '${database}': opened ${this.file(database)}`);
    return writer;
  }

  /** Closes a database's write connection, if open. */
  close(database: string): void {
    const writer = this.writers.get(database);
    if (writer === undefined) return;
    this.writers.delete(database);
    try {
      writer.db.close();
    } catch (err) {
      this.log.warning(`database '${database}': close failed: ${errorMessage(err)}`);
    }
  }

  /** Closes every write connection. */
  closeAll(): void {
    for (const name of [...this.writers.keys()]) this.close(name);
  }

  /** Opens a database for writing; throws what SQLite (or the schema check) threw. */
  private openWriter(database: string): SqliteWriter {
    let db: Database.Database | undefined;
    try {
      db = new Database(this.file(database));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma('cache_size = -16384');
      applySqliteSchema(db, database);
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
}
