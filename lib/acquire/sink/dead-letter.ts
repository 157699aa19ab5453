import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Point } from '../../core/point.js';

/**
 * Points the store rejected for good (e.g. a field type conflict), kept so nothing is silently
 * dropped: one NDJSON file per database under `<data_dir>/dead-letter/`, one line per point with the
 * store's reason. Times are written as strings of integer nanoseconds (exact).
 */
export class DeadLetterStore {
  private readonly dir: string;

  constructor(ctx: { dataDir: string }) {
    this.dir = path.join(ctx.dataDir, 'dead-letter');
  }

  /** The file that holds the rejected points of `database`. */
  fileFor(database: string): string {
    return path.join(this.dir, `${database.replace(/[^A-Za-z0-9_.-]/g, '_')}.ndjson`);
  }

  async add(database: string, points: readonly Point[], reason: string): Promise<void> {
    if (points.length === 0) return;
    await mkdir(this.dir, { recursive: true });
    const at = new Date().toISOString();
    const lines = points.map((p) =>
      JSON.stringify({
        at,
        database,
        reason,
        measurement: p.measurement,
        tags: p.tags,
        fields: p.fields,
        time: p.time.toString(),
      }),
    );
    await appendFile(this.fileFor(database), `${lines.join('\n')}\n`);
  }
}
