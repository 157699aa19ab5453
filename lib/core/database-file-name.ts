/** The name of the empty database: `%` alone is never produced by `encodeURIComponent`. */
const EMPTY_NAME = '%';

/**
 * The file (or folder) name of a database in `data_dir` — spool folders, dead-letter files, SQLite
 * databases; the caller adds its suffix. Reversible and safe on every file system daqd runs on: the name
 * URI-encoded, with `.` and `*` encoded too, so it has no `/`, is never `.` or `..`, never starts with a
 * dot (hidden and temp files do) and no two databases share it. Kotori's database names
 * (`[a-z0-9_]`) are their own file names.
 */
export function databaseToFileName(database: string): string {
  if (database === '') return EMPTY_NAME;
  return encodeURIComponent(database).replace(/\./g, '%2E').replace(/\*/g, '%2A');
}

/**
 * The database of a file name made by `databaseToFileName` (without its suffix), or undefined when it
 * would not have named a file so: only the exact encoding maps back, another spelling would be a second
 * file for the same database.
 */
export function fileNameToDatabase(name: string): string | undefined {
  if (name === EMPTY_NAME) return '';
  let database: string;
  try {
    database = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return databaseToFileName(database) === name ? database : undefined;
}
