import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { replaceFileDurably } from '../core/durable-file.js';

/** A file to write and what to write into it. */
export interface FileContent {
  file: string;
  content: string;
}

/**
 * What became of one file: `written` (new or changed), `unchanged` (it already held this), or `kept`:
 * it differs from what daqd wrote last, so someone edited it and it was left alone.
 */
export interface WriteOutcome {
  file: string;
  state: 'written' | 'unchanged' | 'kept';
  /** With `kept`: where daqd's own version went instead, and what became of that file. */
  aside?: WriteOutcome | undefined;
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readIfThere(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Files daqd writes for others to read, written atomically, that it never overwrites once someone
 * edited them. It remembers the SHA-256 of what it last wrote to each file (`record`, a JSON object
 * path → hash): a file on disk that matches neither that nor the new content was edited (or was never
 * daqd's), and stays as it is; the new content then goes to the `aside` file, if one is given.
 * Calls must not overlap (the provisioner runs them one after another).
 */
export class ProvisionedFiles {
  private hashes: Record<string, string> | undefined;
  private temps = 0;

  constructor(private readonly ctx: { record: string }) {}

  /** Writes `target` unless it was edited; then writes `aside` (by the same rule) instead. */
  async write(target: FileContent, aside?: FileContent): Promise<WriteOutcome> {
    const hashes = await this.load();
    const hash = sha256(target.content);
    const disk = await readIfThere(target.file);
    const diskHash = disk === undefined ? undefined : sha256(disk);
    if (diskHash !== undefined && diskHash !== hash && hashes[target.file] !== diskHash) {
      return { file: target.file, state: 'kept', aside: aside && (await this.write(aside)) };
    }
    let state: WriteOutcome['state'] = 'unchanged';
    if (diskHash !== hash) {
      await mkdir(path.dirname(target.file), { recursive: true });
      await replaceFileDurably(
        target.file,
        target.content,
        `${target.file}.${process.pid}-${++this.temps}.tmp`,
      );
      state = 'written';
    }
    if (hashes[target.file] !== hash) {
      hashes[target.file] = hash;
      await this.save(target.file);
    }
    // The file is daqd's again: a copy written aside earlier, untouched since, is no longer needed.
    if (aside !== undefined && hashes[aside.file] !== undefined) {
      const copy = await readIfThere(aside.file);
      if (copy === undefined || sha256(copy) === hashes[aside.file]) {
        await rm(aside.file, { force: true });
        delete hashes[aside.file];
        await this.save(aside.file);
      }
    }
    return { file: target.file, state };
  }

  private async load(): Promise<Record<string, string>> {
    this.hashes ??= await this.readRecord();
    return this.hashes;
  }

  private async readRecord(): Promise<Record<string, string>> {
    const text = await readIfThere(this.ctx.record);
    if (text === undefined) return {};
    try {
      const parsed: unknown = JSON.parse(text.toString('utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
      return Object.fromEntries(
        Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
      );
    } catch {
      // An unreadable record makes every existing file count as edited: nothing is overwritten.
      return {};
    }
  }

  /**
   * Saves the record with `changed` as this process has it and every other entry as the file has it
   * now: a `daqd grafana write` beside the running daemon loses no entry of the other (short of both
   * saving at the same instant).
   */
  private async save(changed: string): Promise<void> {
    const mine = await this.load();
    for (const [file, hash] of Object.entries(await this.readRecord())) {
      if (file !== changed) mine[file] = hash;
    }
    await mkdir(path.dirname(this.ctx.record), { recursive: true });
    await replaceFileDurably(
      this.ctx.record,
      `${JSON.stringify(mine, null, 2)}\n`,
      `${this.ctx.record}.${process.pid}-${++this.temps}.tmp`,
    );
  }
}
