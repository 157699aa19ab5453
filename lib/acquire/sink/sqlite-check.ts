import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { errorMessage } from '../../core/errors.js';
import { isCorruption } from './sqlite-errors.js';

/**
 * `daqd check`: runs SQLite's `quick_check` on every database file in `dir` and returns a line per
 * damaged or unreadable one. Only reads (safe while a daqd runs).
 */
export async function checkSqliteFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.sqlite')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [`${dir}: cannot read: ${errorMessage(err)}`];
  }
  const problems: string[] = [];
  for (const name of names) {
    const file = join(dir, name);
    let db: Database.Database | undefined;
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
