import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { databaseToFileName, fileNameToDatabase } from '../../core/database-file-name.js';
import { replaceFileDurably, syncFolder } from '../../core/durable-file.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import { jsonToPoint, pointToJson } from './point-codec.js';

/** One spooled batch, oldest first. */
export interface SpooledBatch {
  database: string;
  id: number;
  points: Point[];
  /** Size of its file. */
  bytes: number;
}

/** Everything a `Spool` needs. */
export interface SpoolContext {
  /** Folder of the spool, e.g. `<data_dir>/spool`; created on start. One sub-folder per database. */
  dir: string;
  /** Bytes the spool may hold on disk in all; an append beyond it is refused (returns false). */
  maxBytes: number;
  log: Log;
}

/** A complete batch file. */
interface Entry {
  id: number;
  bytes: number;
}

/** What the spool knows of one database. */
interface DatabaseState {
  /** Complete files, in id order. */
  files: Entry[];
  /** Appends under way: id → settles (never rejects) once the append is done. Map order is id order. */
  writing: Map<number, Promise<void>>;
  /** Set once a batch of this database was on disk; until then a failed append leaves no trace. */
  held: boolean;
}

const ID_DIGITS = 12;
const BATCH_NAME = /^(\d{12,})\.json$/;
/** Names whose id counts for the next one: a quarantined batch's id is never given out again. */
const USED_NAME = /^(\d{12,})\.json(?:\.unreadable)?$/;
const TEMP_SUFFIX = '.tmp';
const UNREADABLE_SUFFIX = '.unreadable';
/** Errors of the moment (out of file handles or memory): reading later may work, so the file is kept. */
const TRANSIENT = new Set(['EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EBUSY']);

/**
 * A durable on-disk spool of point batches, so a reading can be acknowledged while the store is down:
 * one folder per database under `dir` (named by `databaseToFileName`), one file per batch,
 * `<id>.json` with a 12-digit id that grows per database, so names sort in append order.
 * A file is `{"database": "...", "points": [...]}`, each point as `pointToJson` writes it (exact times;
 * NaN, ±Infinity and -0 kept).
 *
 * A file is written to a temp file, fsynced, renamed and its folder fsynced: a batch is either complete
 * on disk or not there. A file that cannot be read back is renamed `<name>.unreadable` and logged, never
 * deleted. One process per folder.
 */
export class Spool {
  private readonly states = new Map<string, DatabaseState>();
  /** Next id per database; kept after `release`, so ids grow for the whole run. */
  private readonly nextIds = new Map<string, number>();
  /** Database folders known to exist (created and their parent fsynced). */
  private readonly folders = new Map<string, Promise<string>>();
  private diskBytes = 0;
  /** Bytes of appends under way: they count against `maxBytes` so concurrent appends cannot overshoot. */
  private reservedBytes = 0;
  private started = false;

  constructor(private readonly ctx: SpoolContext) {}

  /**
   * Creates the folder and takes over what an earlier run left: the databases that have batches, sorted.
   * Leftover temp files are removed; a file that cannot even be looked at is renamed `.unreadable`.
   * Contents are read (and checked) only by `oldest`, so a large spool does not slow the start.
   */
  async start(): Promise<string[]> {
    await mkdir(this.ctx.dir, { recursive: true });
    const found: string[] = [];
    for (const dirent of await readdir(this.ctx.dir, { withFileTypes: true })) {
      if (!dirent.isDirectory()) continue;
      const database = fileNameToDatabase(dirent.name);
      if (database === undefined) {
        this.ctx.log.warning(
          `spool: folder '${dirent.name}' is not a database folder of the spool; left alone`,
        );
        continue;
      }
      const folder = path.join(this.ctx.dir, dirent.name);
      const files = await this.scanFolder(database, folder);
      this.folders.set(database, Promise.resolve(folder));
      if (files.length === 0) continue;
      this.states.set(database, { files, writing: new Map(), held: true });
      found.push(database);
    }
    this.started = true;
    return found.sort();
  }

  /** True while `database` has batches on disk or an append to it is under way, until `release`. */
  holds(database: string): boolean {
    return this.states.has(database);
  }

  /** Bytes of the complete batch files of all databases. */
  get bytes(): number {
    return this.diskBytes;
  }

  /**
   * Writes a batch durably; true once it is on disk, false (nothing written) when it would take the spool
   * beyond `maxBytes`. The id is reserved and `holds(database)` is true before this returns, so batches
   * appended one after another keep their order however their writes finish. Rejects (`StorageError`)
   * when the write fails; nothing is then left behind.
   */
  async append(database: string, points: readonly Point[]): Promise<boolean> {
    if (!this.started) throw new StorageError('spool: append before start', false);
    // Everything up to the first await runs synchronously within the call: the order is fixed here.
    const data = Buffer.from(encodeBatch(database, points));
    if (this.diskBytes + this.reservedBytes + data.length > this.ctx.maxBytes) return false;
    let state = this.states.get(database);
    if (state === undefined) {
      state = { files: [], writing: new Map(), held: false };
      this.states.set(database, state);
    }
    const id = this.nextIds.get(database) ?? 1;
    this.nextIds.set(database, id + 1);
    this.reservedBytes += data.length;
    let settle!: () => void;
    state.writing.set(
      id,
      new Promise<void>((resolve) => {
        settle = resolve;
      }),
    );
    let ok = false;
    try {
      await this.writeFile(database, id, data);
      ok = true;
      return true;
    } catch (err) {
      this.folders.delete(database);
      throw new StorageError(
        `spool: cannot write a batch of '${database}' to disk: ${errorMessage(err)}`,
        true,
        { cause: err },
      );
    } finally {
      this.reservedBytes -= data.length;
      state.writing.delete(id);
      if (ok) {
        insertEntry(state.files, { id, bytes: data.length });
        this.diskBytes += data.length;
        state.held = true;
      } else if (!state.held && state.files.length === 0 && state.writing.size === 0) {
        // Nothing of this database was ever on disk: it is not held, as before the call.
        if (this.states.get(database) === state) this.states.delete(database);
      }
      settle();
    }
  }

  /**
   * The oldest batch of `database`, read back from its file, or undefined when it has none. Waits for
   * appends with lower ids still under way, so batches come in append order. A file that cannot be read
   * or parsed is renamed `.unreadable`, logged, and the next one is returned.
   */
  async oldest(database: string): Promise<SpooledBatch | undefined> {
    for (;;) {
      const state = this.states.get(database);
      if (state === undefined) return undefined;
      const entry = state.files[0];
      const firstWriting = state.writing.entries().next().value;
      if (firstWriting !== undefined && (entry === undefined || firstWriting[0] < entry.id)) {
        await firstWriting[1];
        continue;
      }
      if (entry === undefined) return undefined;
      const file = this.fileOf(database, entry.id);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (err) {
        if (state.files[0] !== entry) continue; // removed meanwhile
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== undefined && TRANSIENT.has(code)) {
          throw new StorageError(`spool: cannot read '${file}' now: ${errorMessage(err)}`, true, {
            cause: err,
          });
        }
        if (code === 'ENOENT') {
          this.ctx.log.error(`spool: batch file '${file}' of '${database}' vanished; its readings are lost`);
          this.forget(state, entry);
        } else {
          await this.quarantine(database, state, entry, errorMessage(err));
        }
        continue;
      }
      try {
        return { database, id: entry.id, points: decodeBatch(text, database), bytes: entry.bytes };
      } catch (err) {
        if (state.files[0] === entry) await this.quarantine(database, state, entry, errorMessage(err));
      }
    }
  }

  /** Deletes a replayed batch's file (after it was stored). */
  async remove(batch: SpooledBatch): Promise<void> {
    try {
      await rm(this.fileOf(batch.database, batch.id), { force: true });
    } catch (err) {
      throw new StorageError(
        `spool: cannot remove a batch of '${batch.database}': ${errorMessage(err)}`,
        true,
        {
          cause: err,
        },
      );
    }
    const state = this.states.get(batch.database);
    const entry = state?.files.find((e) => e.id === batch.id);
    if (state !== undefined && entry !== undefined) this.forget(state, entry);
  }

  /**
   * Forgets `database` (`holds` becomes false) and returns true if it has no batch on disk and no append
   * under way; otherwise false. Synchronous, so the caller decides without a gap.
   */
  release(database: string): boolean {
    const state = this.states.get(database);
    if (state === undefined) return true;
    if (state.files.length > 0 || state.writing.size > 0) return false;
    this.states.delete(database);
    return true;
  }

  private fileOf(database: string, id: number): string {
    return path.join(this.ctx.dir, databaseToFileName(database), batchName(id));
  }

  private forget(state: DatabaseState, entry: Entry): void {
    const index = state.files.indexOf(entry);
    if (index < 0) return;
    state.files.splice(index, 1);
    this.diskBytes -= entry.bytes;
  }

  /** Renames a batch file that cannot be read to `<name>.unreadable` and stops counting it. */
  private async quarantine(
    database: string,
    state: DatabaseState,
    entry: Entry,
    problem: string,
  ): Promise<void> {
    this.forget(state, entry);
    const file = this.fileOf(database, entry.id);
    try {
      await rename(file, file + UNREADABLE_SUFFIX);
      this.ctx.log.error(
        `spool: batch file '${file}' of '${database}' cannot be read (${problem}); kept as '${file}${UNREADABLE_SUFFIX}'`,
      );
    } catch (err) {
      this.ctx.log.error(
        `spool: batch file '${file}' of '${database}' cannot be read (${problem}) nor renamed ` +
          `(${errorMessage(err)}); skipped until the next start`,
      );
    }
  }

  /** The batch files of a folder in id order; removes temp files and notes the highest id in use. */
  private async scanFolder(database: string, folder: string): Promise<Entry[]> {
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (err) {
      this.ctx.log.error(`spool: folder '${folder}' of '${database}' cannot be read: ${errorMessage(err)}`);
      return [];
    }
    const files: Entry[] = [];
    let highest = 0;
    for (const name of names) {
      const file = path.join(folder, name);
      if (name.endsWith(TEMP_SUFFIX)) {
        // An append the earlier run did not finish: it was never acknowledged.
        await rm(file, { force: true }).catch((err: unknown) => {
          this.ctx.log.error(`spool: cannot remove temp file '${file}': ${errorMessage(err)}`);
        });
        continue;
      }
      const used = USED_NAME.exec(name);
      if (used === null) continue;
      const id = Number(used[1]);
      if (id > highest) highest = id;
      if (!BATCH_NAME.test(name)) continue;
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a file');
        files.push({ id, bytes: info.size });
      } catch (err) {
        await rename(file, file + UNREADABLE_SUFFIX).catch(() => {});
        this.ctx.log.error(
          `spool: batch file '${file}' of '${database}' cannot be read (${errorMessage(err)}); ` +
            `kept as '${file}${UNREADABLE_SUFFIX}' if it could be renamed`,
        );
      }
    }
    files.sort((a, b) => a.id - b.id);
    for (const entry of files) this.diskBytes += entry.bytes;
    if (highest > 0) this.nextIds.set(database, highest + 1);
    return files;
  }

  /** The database's folder, created (and made durable) on first use. */
  private folderOf(database: string): Promise<string> {
    let folder = this.folders.get(database);
    if (folder === undefined) {
      const dir = path.join(this.ctx.dir, databaseToFileName(database));
      folder = mkdir(dir, { recursive: true }).then(async (created) => {
        if (created !== undefined) await syncFolder(this.ctx.dir);
        return dir;
      });
      this.folders.set(database, folder);
    }
    return folder;
  }

  /** temp file, fsync, rename, fsync the folder; on failure nothing of it is left. */
  private async writeFile(database: string, id: number, data: Buffer): Promise<void> {
    const folder = await this.folderOf(database);
    const name = batchName(id);
    const temp = path.join(folder, name + TEMP_SUFFIX);
    const file = path.join(folder, name);
    try {
      await replaceFileDurably(file, data, temp);
    } catch (err) {
      // The id is this append's alone: a file under it can only be this half-done one.
      await rm(file, { force: true }).catch(() => {});
      throw err;
    }
  }
}

function batchName(id: number): string {
  return String(id).padStart(ID_DIGITS, '0') + '.json';
}

/** Keeps an already sorted list sorted; appends usually finish in order, so it looks from the end. */
function insertEntry(files: Entry[], entry: Entry): void {
  let i = files.length;
  while (i > 0 && files[i - 1]!.id > entry.id) i--;
  files.splice(i, 0, entry);
}

function encodeBatch(database: string, points: readonly Point[]): string {
  let out = '{"database":' + JSON.stringify(database) + ',"points":[';
  for (let i = 0; i < points.length; i++) out += (i === 0 ? '' : ',') + pointToJson(points[i]!);
  return out + ']}';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The points of a batch file; throws (plain `Error`) when it is not one of `database`. */
function decodeBatch(text: string, database: string): Point[] {
  const doc: unknown = JSON.parse(text);
  if (!isRecord(doc) || !Array.isArray(doc['points'])) throw new Error('not a spooled batch');
  if (doc['database'] !== database)
    throw new Error(`a batch of '${String(doc['database'])}', not of this folder`);
  const raw: unknown[] = doc['points'];
  const points: Point[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    try {
      points[i] = jsonToPoint(raw[i]);
    } catch (err) {
      throw new Error(`point ${i}: ${errorMessage(err)}`);
    }
  }
  return points;
}
