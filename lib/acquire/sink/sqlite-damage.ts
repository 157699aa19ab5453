import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { asStorageError, isCorruption } from './sqlite-errors.js';

/**
 * The damaged databases of the embedded store and why, until a write to them succeeds again. A file
 * that is not a database or is corrupt is damage, not an outage: its failure is a retryable
 * `StorageError` marked `corrupt`, and the file is named once in the log at error level.
 */
export class SqliteDamage {
  private readonly log: Log;
  private readonly file: (database: string) => string;
  private readonly damaged = new Map<string, string>();

  constructor(ctx: { log: Log; file: (database: string) => string }) {
    this.log = ctx.log;
    this.file = ctx.file;
  }

  /** Why each damaged database is damaged. */
  list(): string[] {
    return [...this.damaged.values()];
  }

  /** A write to a database succeeded: it is no longer damaged (logged when it was). */
  healed(database: string): void {
    if (this.damaged.delete(database)) this.log.notice(`database '${database}': writable again`);
  }

  /**
   * The `StorageError` for a failure of a database; a corrupt file is remembered as damage and logged
   * the first time.
   */
  failure(database: string, err: unknown, context: string): StorageError {
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
}
