import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, type FileHandle, mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { databaseToFileName, fileNameToDatabase } from '../../core/database-file-name.js';
import { replaceFileDurably } from '../../core/durable-file.js';
import { errorMessage } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import { jsonToPoint, pointToJson } from './point-codec.js';

/** One readable line of a dead-letter file: a point and why the store rejected it. */
export interface DeadLetter {
  /** Line number in the file, from 1. */
  line: number;
  /** The line as stored (without its newline): what is written back when the point is kept. */
  text: string;
  /** The database the point was meant for. */
  database: string;
  /** The store's reason, as recorded; `''` when the line has none. */
  reason: string;
  /** When it was rejected (ISO 8601), as recorded; `''` when the line has none. */
  at: string;
  point: Point;
}

/** A line that cannot be read back as a point. It is kept in the file: only a person can fix it. */
export interface UnreadableLine {
  line: number;
  text: string;
  problem: string;
}

/** The contents of one dead-letter file. */
export interface DeadLetterFile {
  /** The name `read` and `rewrite` take for this file (its name without `.ndjson`). */
  name: string;
  /** The database of the file's first point (else the name it was read by). */
  database: string;
  file: string;
  letters: DeadLetter[];
  unreadable: UnreadableLine[];
  /**
   * Bytes read: up to the end of the last complete line. Lines a running daqd appends later start
   * here, and `rewrite` carries them over.
   */
  size: number;
}

/** What `list` tells about one file. */
export interface DeadLetterSummary {
  database: string;
  file: string;
  points: number;
  unreadable: number;
  /** Distinct reasons, most frequent first (ties: first seen first). */
  reasons: Array<{ reason: string; count: number }>;
}

const SUFFIX = '.ndjson';
const NEWLINE = 0x0a;
/** How often one `add` appends again while replays keep replacing the file under it. */
const MAX_APPENDS = 10;
/**
 * How long `rewrite` waits, at most, for a line a writer is still appending to the replaced file to
 * end: tries, and ms between them. A line that stays without its end so long is a crashed writer's.
 */
const PARTIAL_LINE_TRIES = 20;
const PARTIAL_LINE_WAIT_MS = 10;

/**
 * Points the store rejected for good (e.g. a field type conflict), kept so nothing is silently
 * dropped: one NDJSON file per database under `<data_dir>/dead-letter/` (named by `databaseToFileName`),
 * one line per point: `{at, database, reason, measurement, tags, fields, time}`, the point as
 * `pointToJson` writes it (exact times; NaN, ±Infinity and -0 kept). Numbers are floats in every sink
 * (`FieldValue` has no integer type), and JSON keeps a double exactly both ways.
 *
 * Reading never stops at a bad line: a line that is not JSON or lacks a required key is reported as
 * unreadable, and `rewrite` keeps whatever the caller could not replay.
 */
export class DeadLetterStore {
  private readonly dir: string;

  constructor(ctx: { dataDir: string }) {
    this.dir = path.join(ctx.dataDir, 'dead-letter');
  }

  /** The folder of the dead-letter files. */
  get folder(): string {
    return this.dir;
  }

  /** The file that holds the rejected points of `database`. */
  fileFor(database: string): string {
    const file = path.join(this.dir, `${databaseToFileName(database)}${SUFFIX}`);
    // Earlier daqd versions named it by the database with every other character than [A-Za-z0-9_.-]
    // made `_`: a file found under that name stays where it is and is written on.
    const legacy = path.join(this.dir, `${database.replace(/[^A-Za-z0-9_.-]/g, '_')}${SUFFIX}`);
    return legacy !== file && !existsSync(file) && existsSync(legacy) ? legacy : file;
  }

  /** Appends `points` with the store's `reason` to the file of `database`. */
  async add(database: string, points: readonly Point[], reason: string): Promise<void> {
    if (points.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    const at = new Date().toISOString();
    const lines = points.map((p) => pointToJson(p, { at, database, reason }));
    const file = this.fileFor(database);
    const text = `${lines.join('\n')}\n`;
    // `rewrite` (a replay, maybe by another process) may replace the file while this appends. An
    // append that landed in the replaced file is made again in the new one: a line may then be there
    // twice, which a replay writes idempotently; a lost line could not be replayed at all.
    for (let attempt = 1; ; attempt++) {
      const handle = await open(file, 'a');
      try {
        await handle.appendFile(text);
        const written = await handle.stat();
        // Compared while the handle is still open: a closed, replaced file's inode number could already
        // belong to the next replacement, and the append would pass for one into the current file.
        const current = await statOptional(file);
        if (attempt >= MAX_APPENDS || (current?.ino === written.ino && current.dev === written.dev)) return;
      } finally {
        await handle.close();
      }
    }
  }

  /** Every dead-letter file that holds something, in file-name order, with counts per reason. */
  async list(): Promise<DeadLetterSummary[]> {
    const summaries: DeadLetterSummary[] = [];
    for (const file of await this.files()) {
      const contents = await this.readFile(file);
      if (contents.letters.length === 0 && contents.unreadable.length === 0) continue;
      const counts = new Map<string, number>();
      for (const letter of contents.letters) counts.set(letter.reason, (counts.get(letter.reason) ?? 0) + 1);
      // Map order is first-seen order and sort is stable: ties stay in that order.
      const reasons = [...counts].map(([reason, count]) => ({ reason, count }));
      reasons.sort((a, b) => b.count - a.count);
      summaries.push({
        database: contents.database,
        file,
        points: contents.letters.length,
        unreadable: contents.unreadable.length,
        reasons,
      });
    }
    return summaries;
  }

  /** The names of the dead-letter files, as `read` and `rewrite` take them: their databases. */
  async databases(): Promise<string[]> {
    return (await this.files()).map(nameOf);
  }

  /** The points of one database read back; an empty result when it has no file. */
  read(database: string): Promise<DeadLetterFile> {
    return this.readFile(this.fileFor(database), database);
  }

  /**
   * Replaces the file of `database` by `keep` (lines as `DeadLetter.text` / `UnreadableLine.text`
   * give them), atomically: a temp file in the same folder, flushed, then renamed over it. With
   * nothing left, the file is removed. Lines a running daqd appends meanwhile are kept: those after
   * byte `after` (the `size` of the read the caller worked from) and those that arrive while the
   * file is being replaced.
   */
  async rewrite(database: string, keep: readonly string[], options: { after?: number } = {}): Promise<void> {
    const file = this.fileFor(database);
    const head = keep.length === 0 ? '' : `${keep.join('\n')}\n`;
    if (head === '' && (await statOptional(file)) === undefined) return;
    await mkdir(this.dir, { recursive: true });
    // The file being replaced stays open (created if a writer has not yet), so what is appended to
    // it until it is replaced is seen and carried over.
    const old = await open(file, 'a+');
    try {
      const after = options.after;
      // Lines are carried over whole: see `wholeLines`.
      const now = after === undefined ? await readFrom(old, 0) : await wholeLines(old, 0, after);
      const tail = after !== undefined && now.length > after ? now.subarray(after) : Buffer.alloc(0);
      if (head === '' && tail.length === 0) await rm(file, { force: true });
      else await this.replace(file, Buffer.concat([Buffer.from(head, 'utf8'), tail]));
      const late = await wholeLines(old, now.length, 0);
      if (late.length > 0) await appendFile(file, late);
    } finally {
      await old.close();
    }
  }

  /** Writes `bytes` to a temp file beside `file`, flushes it and renames it over `file`. */
  private async replace(file: string, bytes: Buffer): Promise<void> {
    const temp = path.join(
      this.dir,
      `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
    );
    await replaceFileDurably(file, bytes, temp);
  }

  private async files(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return names
      .filter((name) => name.endsWith(SUFFIX) && !name.startsWith('.'))
      .sort()
      .map((name) => path.join(this.dir, name));
  }

  private async readFile(file: string, database?: string): Promise<DeadLetterFile> {
    const name = nameOf(file);
    const bytes = await readOptional(file);
    const letters: DeadLetter[] = [];
    const unreadable: UnreadableLine[] = [];
    // A line without its newline may be one a running daqd is still appending: it is left for later.
    const size = bytes === undefined ? 0 : bytes.lastIndexOf(NEWLINE) + 1;
    const lines = bytes === undefined ? [] : bytes.subarray(0, size).toString('utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const text = lines[i]!;
      if (text.trim() === '') continue;
      const read = readLine(text, database ?? name);
      if (typeof read === 'string') unreadable.push({ line: i + 1, text, problem: read });
      else letters.push({ line: i + 1, text, ...read });
    }
    return { name, database: letters[0]?.database ?? database ?? name, file, letters, unreadable, size };
  }
}

/**
 * The name `read` and `rewrite` take for a file: its database, or for a file named before names were
 * reversible, its name without `.ndjson` (which `fileFor` maps back to it).
 */
function nameOf(file: string): string {
  const base = path.basename(file, SUFFIX);
  return fileNameToDatabase(base) ?? base;
}

/** A line read back, or why it cannot be. */
function readLine(text: string, fallbackDatabase: string): Omit<DeadLetter, 'line' | 'text'> | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not valid JSON';
  }
  if (!isObject(value)) return 'not a JSON object';
  const { database, reason, at } = value;
  let point: Point;
  try {
    point = jsonToPoint(value);
  } catch (err) {
    return errorMessage(err);
  }
  if (database !== undefined && typeof database !== 'string') return "'database' is not a string";
  // Lines written before NaN and ±Infinity were kept hold null there: a point of only such is unreadable.
  if (Object.keys(point.fields).length === 0) return 'no field value a store can keep';
  return {
    database: typeof database === 'string' ? database : fallbackDatabase,
    reason: typeof reason === 'string' ? reason : '',
    at: typeof at === 'string' ? at : '',
    point,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

async function statOptional(file: string): Promise<{ dev: number; ino: number } | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * The bytes of the open file from `position` to its end, read again until what lies past `from` (of
 * them) ends with a whole line. A line being appended can be seen in parts (a write across a page
 * boundary); carried over in parts, its writer's second try (`add` appends again when the file was
 * replaced) would be glued to the first part and both be unreadable. A line that stays without its
 * end for `PARTIAL_LINE_TRIES` × `PARTIAL_LINE_WAIT_MS` is a crashed writer's, carried over as it is.
 */
async function wholeLines(handle: FileHandle, position: number, from: number): Promise<Buffer> {
  let read = await readFrom(handle, position);
  for (let tries = 0; tries < PARTIAL_LINE_TRIES && endsInsideLine(read, from); tries++) {
    await new Promise((resolve) => setTimeout(resolve, PARTIAL_LINE_WAIT_MS));
    read = await readFrom(handle, position);
  }
  return read;
}

/** Whether `bytes` past `from` end within a line (some bytes, no final newline). */
function endsInsideLine(bytes: Buffer, from: number): boolean {
  return bytes.length > from && bytes[bytes.length - 1] !== NEWLINE;
}

/** The bytes of an open file from `position` to its end. */
async function readFrom(handle: FileHandle, position: number): Promise<Buffer> {
  const { size } = await handle.stat();
  if (size <= position) return Buffer.alloc(0);
  const buffer = Buffer.alloc(size - position);
  let at = 0;
  while (at < buffer.length) {
    const { bytesRead } = await handle.read(buffer, at, buffer.length - at, position + at);
    if (bytesRead === 0) break;
    at += bytesRead;
  }
  return buffer.subarray(0, at);
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
