import Database from 'better-sqlite3';
import { errorMessage, StorageError } from '../../core/errors.js';

/** SQLite errors about the environment (busy, full disk, I/O) may pass; our own misuse will not. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof Database.SqliteError)) return false;
  return !/^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE|ERROR)/.test(err.code);
}

/** A file that is not a database, or a damaged one (also SQLITE_CORRUPT_INDEX, _SEQUENCE, …). */
export function isCorruption(err: unknown): boolean {
  return err instanceof Database.SqliteError && /^SQLITE_(NOTADB|CORRUPT)/.test(err.code);
}

/** SQLite could not open a file: among other causes, the process is out of file descriptors. */
export function isCantOpen(err: unknown): boolean {
  return err instanceof Database.SqliteError && err.code.startsWith('SQLITE_CANTOPEN');
}

/** A failure of the embedded store as a `StorageError`, retryable when SQLite blames the environment. */
export function asStorageError(err: unknown, context: string): StorageError {
  if (err instanceof StorageError) return err;
  return new StorageError(`${context}: ${errorMessage(err)}`, isRetryable(err), { cause: err });
}
