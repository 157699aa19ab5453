import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CsvHeader } from '../acquire/decode/decoder.js';
import { replaceFileDurably } from '../core/durable-file.js';
import { errorMessage, StorageError } from '../core/errors.js';

interface StoredFile {
  version: 1;
  headers: Record<string, CsvHeader & { updated: string }>;
}

/**
 * The CSV header of every channel that sent one, kept in `<data_dir>/http/csv-headers.json` so it
 * outlives a restart (Kotori keeps them in MongoDB). Keyed by the storage address the rows go to
 * (`<database>/<measurement>`), so every path form of one node shares its header. Read once, on first
 * use; every change replaces the file durably (`replaceFileDurably`: a temporary file, flushed, renamed
 * over the old one, the folder flushed), one write at a time, and `set` resolves only once it is on disk.
 */
export class CsvHeaderStore {
  private headers: Map<string, CsvHeader & { updated: string }> | undefined;
  private loading: Promise<Map<string, CsvHeader & { updated: string }>> | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly ctx: { dataDir: string }) {}

  /** The file the headers live in. */
  get file(): string {
    return path.join(this.ctx.dataDir, 'http', 'csv-headers.json');
  }

  /** The remembered header of a channel. */
  async get(key: string): Promise<CsvHeader | undefined> {
    const entry = (await this.load()).get(key);
    return entry === undefined ? undefined : { fields: [...entry.fields], fuse: entry.fuse };
  }

  /** Remembers a channel's header; resolves once it is written. Throws `StorageError` when it cannot be. */
  async set(key: string, header: CsvHeader, now = new Date()): Promise<void> {
    const headers = await this.load();
    headers.set(key, { fields: [...header.fields], fuse: header.fuse, updated: now.toISOString() });
    const write = this.writing.then(() => this.save(headers));
    this.writing = write.catch(() => {});
    await write;
  }

  private load(): Promise<Map<string, CsvHeader & { updated: string }>> {
    if (this.headers !== undefined) return Promise.resolve(this.headers);
    this.loading ??= this.read().then((map) => {
      this.headers = map;
      return map;
    });
    return this.loading;
  }

  private async read(): Promise<Map<string, CsvHeader & { updated: string }>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      this.loading = undefined;
      throw new StorageError(`cannot read CSV headers from '${this.file}': ${errorMessage(err)}`, true);
    }
    try {
      const stored = JSON.parse(text) as StoredFile;
      return new Map(Object.entries(stored.headers ?? {}));
    } catch (err) {
      this.loading = undefined;
      throw new StorageError(`'${this.file}' is not a CSV header file: ${errorMessage(err)}`, false);
    }
  }

  private async save(headers: ReadonlyMap<string, CsvHeader & { updated: string }>): Promise<void> {
    const stored: StoredFile = { version: 1, headers: Object.fromEntries(headers) };
    const temporary = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await replaceFileDurably(this.file, `${JSON.stringify(stored, null, 1)}\n`, temporary);
    } catch (err) {
      throw new StorageError(`cannot write CSV headers to '${this.file}': ${errorMessage(err)}`, true);
    }
  }
}
