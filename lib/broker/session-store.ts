import { mkdir, rename } from 'node:fs/promises';
import { Level } from 'level';
import { DaqdError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';

/** Everything `openSessionStore` needs. */
export interface SessionStoreContext {
  /** The store's folder, `<data_dir>/broker`; created when missing. */
  dir: string;
  log: Log;
  /** The time in the name of a store moved aside. Default: now. */
  now?: () => Date;
}

/**
 * Opens the embedded broker's session store (LevelDB, as aedes-persistence-level keeps it) and reads
 * it through once, so damage shows now and not in the middle of a client's session. A store that
 * cannot be read — a crash or a full disk mid-write, a truncated or overwritten file — is moved aside
 * to `<dir>.corrupt-<time>` (kept for an expert, e.g. LevelDB's repair) and an empty one is opened:
 * the outside clients' persistent sessions are lost, but daqd starts (HTTP ingest too), which it would
 * not otherwise. Any other failure (permissions, a store locked by another process) is thrown as a
 * `DaqdError`, and nothing is moved.
 */
export async function openSessionStore(ctx: SessionStoreContext): Promise<Level<string, string>> {
  try {
    return await openChecked(ctx.dir);
  } catch (err) {
    if (!isDamage(err)) throw storeError(ctx.dir, err);
    const aside = `${ctx.dir}.corrupt-${stamp((ctx.now ?? (() => new Date()))())}`;
    try {
      await rename(ctx.dir, aside);
    } catch (renameErr) {
      throw storeError(ctx.dir, err, `; moving it aside failed too: ${errorMessage(renameErr)}`);
    }
    ctx.log.error(
      `embedded broker: session store '${ctx.dir}' is damaged (${reason(err)}); moved it to '${aside}' and ` +
        'started with an empty one: the persistent sessions of outside clients (their subscriptions and ' +
        'the QoS 1/2 messages queued for them) and retained messages are lost; clients that connect ' +
        'with a persistent session must subscribe again',
    );
    try {
      return await openChecked(ctx.dir);
    } catch (again) {
      throw storeError(ctx.dir, again);
    }
  }
}

/** Opens the store and reads every entry once (LevelDB finds a damaged table only when it reads it). */
async function openChecked(dir: string): Promise<Level<string, string>> {
  await mkdir(dir, { recursive: true });
  const db = new Level<string, string>(dir);
  try {
    await db.open();
    for await (const _ of db.iterator({ fillCache: false })) {
      // Reading is the check.
    }
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** The innermost LevelDB error: `Database failed to open` says little, its cause says what. */
function levelCause(err: unknown): { code?: unknown; message?: unknown } {
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  return (cause ?? err) as { code?: unknown; message?: unknown };
}

/**
 * Whether the store's files are damaged: LevelDB says `Corruption`, or a file the store's own index
 * names is missing (an overwritten CURRENT, a deleted MANIFEST).
 */
function isDamage(err: unknown): boolean {
  for (const e of [err, levelCause(err)] as { code?: unknown; message?: unknown }[]) {
    if (e.code === 'LEVEL_CORRUPTION') return true;
    if (e.code === 'LEVEL_IO_ERROR' && /No such file or directory/.test(String(e.message))) return true;
  }
  return false;
}

function reason(err: unknown): string {
  return errorMessage(levelCause(err));
}

function storeError(dir: string, err: unknown, more = ''): DaqdError {
  // LevelDB's LOCK file: another process holds the store.
  return new DaqdError(
    'broker',
    `embedded broker: cannot open session store '${dir}': ${reason(err)}${more}`,
    {
      cause: err,
    },
  );
}

/** `20261202T134500Z`: sortable, and no `:` (not allowed in file names everywhere). */
function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+/, '').replace(/[-:]/g, '');
}
