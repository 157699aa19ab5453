import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError } from '../core/errors.js';

/** A file of the web view as served. */
export interface WebAsset {
  body: Buffer;
  type: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
};

/**
 * The web view's static files, read from the package (never a CDN: daqd often runs offline): the pages
 * and their scripts built into `dist/web` by `npm run build`, and uPlot's own distribution files from
 * its installed package. Only the names listed here are served; each is read once and kept.
 */
export class WebAssets {
  private readonly files: ReadonlyMap<string, string>;
  private readonly cache = new Map<string, WebAsset>();

  constructor() {
    const web = join(packageRoot(), 'dist', 'web');
    const uplot = dirname(createRequire(import.meta.url).resolve('uplot'));
    this.files = new Map([
      ['index.html', join(web, 'index.html')],
      ['node.html', join(web, 'node.html')],
      ['style.css', join(web, 'style.css')],
      ['overview.js', join(web, 'overview.js')],
      ['node.js', join(web, 'node.js')],
      ['common.js', join(web, 'common.js')],
      ['aligned-rows.js', join(web, 'aligned-rows.js')],
      ['uPlot.iife.min.js', join(uplot, 'uPlot.iife.min.js')],
      ['uPlot.min.css', join(uplot, 'uPlot.min.css')],
    ]);
  }

  /** The file of that name; `NotFoundError` for any other name, and when the build did not make it. */
  async get(name: string): Promise<WebAsset> {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const file = this.files.get(name);
    if (file === undefined) throw new NotFoundError(`no such file: /assets/${name.slice(0, 80)}`);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      throw new NotFoundError(`web view file '${name}' is missing; run 'npm run build'`);
    }
    const asset = { body, type: TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' };
    this.cache.set(name, asset);
    return asset;
  }
}

/** The folder with daqd's package.json, found upwards from this file (lib/web or dist/lib/web). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('daqd: cannot find the package folder of the web view');
}
