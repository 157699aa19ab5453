import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** What an `[daqd] instance_id` may be: letters, digits, `_` and `-`, at most 64 of them. */
export const INSTANCE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The problem with an `[daqd] instance_id`, or undefined when it is fine (empty is: no instance id). */
export function instanceIdProblem(id: string): string | undefined {
  if (id === '' || INSTANCE_ID_PATTERN.test(id)) return undefined;
  return id.length > 64
    ? `'${id.slice(0, 20)}…' is longer than 64 characters`
    : `'${id}' may hold only letters, digits, '_' and '-'`;
}

/**
 * The folder of what belongs to one daqd process and must not be written by another: the `daqd.pid`
 * lock, the spool, the dead letters, the embedded broker's sessions, the poll marks and the CSV header
 * memory. It is `data_dir` itself without `[daqd] instance_id` (where every install before it keeps
 * them), and `<data_dir>/instances/<instance_id>` with one; what the instances share (the SQLite store)
 * stays in `data_dir`.
 */
export function instanceDir(daqd: { data_dir: string; instance_id?: string | undefined }): string {
  const id = daqd.instance_id ?? '';
  return id === '' ? daqd.data_dir : path.join(daqd.data_dir, 'instances', id);
}

/**
 * With an instance id: the folders of `data_dir` itself that still hold readings (the spool, the dead
 * letters) — left by a daqd run without instance id, which no instance with one delivers or lists.
 * Empty without an instance id, or when they are empty or missing.
 */
export async function readingsLeftInDataDir(daqd: {
  data_dir: string;
  instance_id?: string | undefined;
}): Promise<string[]> {
  if ((daqd.instance_id ?? '') === '') return [];
  const left: string[] = [];
  for (const name of ['spool', 'dead-letter']) {
    const folder = path.join(daqd.data_dir, name);
    if (await holdsData(folder, 2)) left.push(folder);
  }
  return left;
}

/** True when a file of more than 0 bytes lies in `folder`, or in its folders `depth - 1` levels down. */
async function holdsData(folder: string, depth: number): Promise<boolean> {
  const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(folder, entry.name);
    if (entry.isDirectory()) {
      if (depth > 1 && (await holdsData(full, depth - 1))) return true;
    } else if (entry.isFile() && ((await stat(full).catch(() => undefined))?.size ?? 0) > 0) {
      return true;
    }
  }
  return false;
}
