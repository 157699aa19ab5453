import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { databaseToFileName } from '../../core/database-file-name.js';

/**
 * The file of a database in `dir`, named by `databaseToFileName`. Earlier daqd versions used the
 * database name as it is: a file found under that name stays where it is and is used.
 */
export function sqliteDatabaseFile(dir: string, database: string): string {
  const file = join(dir, `${databaseToFileName(database)}.sqlite`);
  const legacy = join(dir, `${database}.sqlite`);
  return legacy !== file && !existsSync(file) && existsSync(legacy) ? legacy : file;
}
