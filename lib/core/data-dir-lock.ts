import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DaqdError, errorMessage } from './errors.js';
import type { Log } from './log.js';

/** The lock file's name in `data_dir`: the pid of the daqd that holds the folder. */
export const LOCK_FILE = 'daqd.pid';

/** Lock files this process holds, so a second daemon in the same process is refused too. */
const heldHere = new Set<string>();

/** What a lock file says: whose it is. */
interface Owner {
  pid: number;
  /** The process's start time in clock ticks since boot (`/proc/<pid>/stat`, field 22), where known. */
  start: string | undefined;
}

/** Everything a `DataDirLock` needs. */
export interface DataDirLockContext {
  /** daqd's `data_dir`; created when missing. */
  dir: string;
  log: Log;
}

/**
 * One daqd per `data_dir`: the spool, the dead letters and the broker's session store must not be
 * written by two processes. `acquire()` creates `<data_dir>/daqd.pid` (the pid and its process start
 * time) or fails with `another daqd (pid N) holds data_dir …`. A lock whose process is gone (killed,
 * a crash, a reboot) is taken over, with one warning; so is one whose pid now belongs to a different
 * process (the start time differs, or it is our own pid from an earlier life, as in a container).
 *
 * Hand-written rather than `proper-lockfile`: that one detects staleness by a timer that refreshes the
 * lock's mtime, and cannot say which process holds it; the pid is what the operator needs to know.
 */
export class DataDirLock {
  private readonly file: string;
  private held: string | undefined;

  constructor(private readonly ctx: DataDirLockContext) {
    this.file = path.join(ctx.dir, LOCK_FILE);
  }

  /** Takes the lock; throws `DaqdError` (`data_dir_locked`) when a live daqd holds it. */
  async acquire(): Promise<void> {
    if (this.held !== undefined) return;
    const mine = `${process.pid}\n${(await startTime(process.pid)) ?? ''}\n`;
    // Written whole under a private name first, then linked: the lock file is never seen half-written.
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(this.ctx.dir, { recursive: true });
      await writeFile(temp, mine);
    } catch (err) {
      throw new DaqdError(
        'data_dir',
        `cannot write to data_dir '${this.ctx.dir}': ${errorMessage(err)}; ` +
          'give [daqd] data_dir a folder this user may write to',
        { cause: err },
      );
    }
    try {
      for (let attempt = 0; ; attempt++) {
        if (await linkNew(temp, this.file)) break;
        if (attempt >= 5) throw new DaqdError('data_dir_locked', `cannot take the lock ${this.file}`);
        const text = await readText(this.file);
        if (text === undefined) continue; // released meanwhile: try again
        const owner = parseOwner(text);
        if (owner !== undefined && (await this.alive(owner))) {
          throw new DaqdError(
            'data_dir_locked',
            `another daqd (pid ${owner.pid}) holds data_dir '${this.ctx.dir}' (${this.file}); ` +
              'stop it first, or give this one its own [daqd] data_dir or instance_id',
          );
        }
        if (await this.takeOver(text)) {
          this.ctx.log.warning(
            `data_dir '${this.ctx.dir}': took over the lock of ${owner === undefined ? 'an unreadable owner' : `daqd pid ${owner.pid}`}, which is gone`,
          );
        }
      }
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    this.held = mine;
    heldHere.add(this.file);
  }

  /** Removes the lock file if it is still ours. Idempotent. */
  async release(): Promise<void> {
    const mine = this.held;
    if (mine === undefined) return;
    this.held = undefined;
    heldHere.delete(this.file);
    if ((await readText(this.file)) === mine) await unlink(this.file).catch(() => undefined);
  }

  /** Whether the process a lock file names is still the one that wrote it. */
  private async alive(owner: Owner): Promise<boolean> {
    // Our own pid: held by this process, or left by an earlier process that had the same pid.
    if (owner.pid === process.pid) return heldHere.has(this.file);
    try {
      process.kill(owner.pid, 0);
    } catch (err) {
      // EPERM: it exists, as another user.
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    const start = owner.start === undefined ? undefined : await startTime(owner.pid);
    return start === undefined || start === owner.start;
  }

  /**
   * Moves a stale lock file aside, unless another daqd replaced it meanwhile (then it is put back).
   * True when the stale one was removed.
   */
  private async takeOver(stale: string): Promise<boolean> {
    const aside = `${this.file}.stale-${process.pid}`;
    try {
      await rename(this.file, aside);
    } catch {
      return false; // gone meanwhile
    }
    const moved = await readText(aside);
    if (moved !== stale) {
      await linkNew(aside, this.file);
      await unlink(aside).catch(() => undefined);
      return false;
    }
    await unlink(aside).catch(() => undefined);
    return true;
  }
}

/** Links `from` as `to`; false when `to` exists. */
async function linkNew(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseOwner(text: string): Owner | undefined {
  const [pid, start] = text.split('\n');
  if (pid === undefined || !/^\d+$/.test(pid)) return undefined;
  return { pid: Number(pid), start: start === undefined || start === '' ? undefined : start };
}

/** A process's start time (`/proc/<pid>/stat` field 22), or undefined where there is no /proc. */
async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (stat === undefined) return undefined;
  // Field 2 is the command in parentheses and may itself contain spaces and ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 3… follow, so field 22 is at index 19.
  return fields[19];
}
