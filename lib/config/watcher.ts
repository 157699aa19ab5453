import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import picomatch from 'picomatch';
import type { Log } from '../core/log.js';
import { resolveIncludes, splitGlob } from './load.js';

/**
 * Watches the realm app files: the folders of the include globs (new, changed and removed files and
 * symlinks) and the files the symlinks point to (edits in `apps-available/`). Changes are debounced and
 * reported as one `onChange` call, which re-reads everything.
 */
export class ConfigWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly matchers: ((file: string) => boolean)[];
  private targets = new Set<string>();

  constructor(
    private readonly ctx: { include: readonly string[]; log: Log; onChange: () => void; debounce?: number },
  ) {
    this.matchers = ctx.include.map((glob) => picomatch(glob, { dot: false }));
  }

  async start(): Promise<void> {
    const folders = [...new Set(this.ctx.include.map((glob) => path.resolve(splitGlob(glob).base)))];
    this.watcher = watch(folders, { ignoreInitial: true, followSymlinks: true, depth: 8 });
    this.watcher.on('all', (_event, file) => this.changed(file));
    this.watcher.on('error', (err) => this.ctx.log.warning(`config watcher: ${String(err)}`));
    await new Promise<void>((resolve) => this.watcher?.once('ready', () => resolve()));
    await this.watchTargets();
  }

  /** Adds the real files behind the app symlinks, so editing them is noticed too. */
  private async watchTargets(): Promise<void> {
    const next = new Set<string>();
    for (const file of await resolveIncludes(this.ctx.include)) {
      const real = await realpath(file).catch(() => undefined);
      if (real !== undefined && real !== file) next.add(real);
    }
    const added = [...next].filter((f) => !this.targets.has(f));
    const removed = [...this.targets].filter((f) => !next.has(f));
    this.targets = next;
    if (added.length > 0) this.watcher?.add(added);
    if (removed.length > 0) this.watcher?.unwatch(removed);
  }

  private changed(file: string): void {
    const absolute = path.resolve(file);
    if (!this.targets.has(absolute) && !this.matchers.some((match) => match(absolute))) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ctx.log.debug(`config watcher: '${absolute}' changed; reloading realm apps`);
      this.ctx.onChange();
      void this.watchTargets();
    }, this.ctx.debounce ?? 200);
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const watcher = this.watcher;
    this.watcher = undefined;
    await watcher?.close();
  }
}
