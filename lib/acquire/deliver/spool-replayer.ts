import { backoffDelay } from '../../core/backoff-delay.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { DeadLetterStore } from './dead-letter.js';
import type { Spool, SpooledBatch } from './spool.js';

/** Everything a `SpoolReplayer` needs; `write` and `sleep` are the batcher's, so outages are logged once. */
export interface SpoolReplayerContext {
  spool: Spool;
  /** One write to the store; rejects with `StorageError`. */
  write: (database: string, points: readonly Point[]) => Promise<void>;
  /** Waits, and returns early once daqd gives up waiting (stop deadline). */
  sleep: (ms: number) => Promise<void>;
  /** True once daqd is stopping: replaying stops after the batch in hand; the rest waits for the next start. */
  stopped: () => boolean;
  deadLetter: DeadLetterStore;
  log: Log;
}

/** Ms between looks while an append to the database is still being written. */
const APPEND_WAIT_MS = 10;

/**
 * Writes the spooled batches of a database to the store, oldest first, each removed from the spool once
 * stored; a store that fails retryably is tried again with backoff. A batch the store rejects for good is
 * written point by point: the points it takes are stored, the others go to the dead-letter store.
 */
export class SpoolReplayer {
  constructor(private readonly ctx: SpoolReplayerContext) {}

  /** Replays until the database's spool is empty (then it is released) or daqd stops. */
  async run(database: string): Promise<void> {
    const { spool, log } = this.ctx;
    let attempt = 0;
    let replayed = 0;
    for (;;) {
      if (this.ctx.stopped()) return;
      const batch = await spool.oldest(database);
      if (batch === undefined) {
        if (spool.release(database)) {
          if (replayed > 0) log.info(`spool: '${database}' caught up (${replayed} batch(es) written)`);
          return;
        }
        await this.ctx.sleep(APPEND_WAIT_MS);
        continue;
      }
      try {
        await this.ctx.write(database, batch.points);
      } catch (err) {
        if (!(err instanceof StorageError) || err.retryable) {
          await this.ctx.sleep(backoffDelay(attempt++));
          continue;
        }
        if (!(await this.isolate(batch, err))) {
          await this.ctx.sleep(backoffDelay(attempt++));
          continue;
        }
      }
      await spool.remove(batch);
      replayed++;
      attempt = 0;
    }
  }

  /**
   * Writes a rejected batch point by point, the points rejected again into the dead-letter store. False
   * when the store became unavailable meanwhile (the batch stays; writing a point twice stores it once).
   */
  private async isolate(batch: SpooledBatch, failure: StorageError): Promise<boolean> {
    const rejected: Point[] = [];
    let reason = failure.message;
    for (const point of batch.points) {
      try {
        await this.ctx.write(batch.database, [point]);
      } catch (err) {
        if (!(err instanceof StorageError) || err.retryable) return false;
        rejected.push(point);
        reason = err.message;
      }
    }
    if (rejected.length > 0) {
      await this.ctx.deadLetter.add(batch.database, rejected, reason).catch((err: unknown) => {
        this.ctx.log.error(`dead-letter store failed for '${batch.database}': ${errorMessage(err)}`);
        throw err;
      });
      this.ctx.log.error(
        `storage rejected ${rejected.length} spooled point(s) of '${batch.database}' for good (${reason}); ` +
          `kept in ${this.ctx.deadLetter.fileFor(batch.database)}`,
      );
    }
    return true;
  }
}
