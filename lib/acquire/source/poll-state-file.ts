import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { replaceFileDurably } from '../../core/durable-file.js';
import { PollDelivered } from './poll-delivered.js';
import { PollValidators } from './poll-validators.js';

/** What a polling source keeps across restarts. */
export interface PollState {
  delivered: PollDelivered;
  validators: PollValidators;
}

const VERSION = 1;

/**
 * A realm's poll state on disk, `<data_dir>/poll/<realm>.json`: per URL the marks of what was
 * delivered and the node's validators. Written whole and durably after each round (a crash leaves the
 * last round's file); a missing file is a first start, an unreadable one is said in `problem` and
 * polling starts from nothing (lines stored again are the same points).
 */
export class PollStateFile {
  readonly file: string;

  constructor(dataDir: string, realm: string) {
    this.file = path.join(dataDir, 'poll', `${realm}.json`);
  }

  async load(): Promise<PollState & { problem?: string }> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      const empty = { delivered: new PollDelivered(), validators: new PollValidators() };
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty;
      return { ...empty, problem: `cannot read ${this.file}: ${(err as Error).message}` };
    }
    try {
      const json = JSON.parse(text) as { version?: unknown; delivered?: unknown; validators?: unknown };
      if (json.version !== VERSION) throw new Error(`version ${String(json.version)}, expected ${VERSION}`);
      return {
        delivered: PollDelivered.fromJSON(json.delivered),
        validators: PollValidators.fromJSON(json.validators),
      };
    } catch (err) {
      return {
        delivered: new PollDelivered(),
        validators: new PollValidators(),
        problem: `${this.file} is not a poll state file (${(err as Error).message}); starting from nothing`,
      };
    }
  }

  async save(state: PollState): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const text = JSON.stringify({
      version: VERSION,
      delivered: state.delivered,
      validators: state.validators,
    });
    await replaceFileDurably(this.file, `${text}\n`, `${this.file}.${process.pid}.${Date.now()}.tmp`);
  }
}
