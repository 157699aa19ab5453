import { open, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes `data` to `temp` (created, never overwritten), flushes it to disk, renames it to `file` and
 * flushes the folder: afterwards `file` is either what it was or wholly `data`, also after a crash or a
 * power cut. `temp` must be in the same folder as `file`. When it fails before the rename, `temp` is
 * removed; after it (the folder flush), `file` already holds `data`.
 */
export async function replaceFileDurably(file: string, data: Buffer | string, temp: string): Promise<void> {
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {});
    throw err;
  }
  await syncFolder(path.dirname(file));
}

/**
 * Flushes a folder's entries (a file created, renamed or removed in it) to disk. Best effort: some file
 * systems cannot sync a folder, and the rename itself stands then.
 */
export async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // See above.
  }
}
