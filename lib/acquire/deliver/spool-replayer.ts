import { backoffDelay } from '../../core/backoff-delay.js';
import { StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { DeadLetterStore } from './dead-letter.js';
import { isolateRejected } from './isolate-rejected.js';
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
 * settled by `isolateRejected`: the points it takes are stored, the others go to the dead-letter store.
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
        // A batch rejected for good: its good points are stored, the others go to the dead letters. When
        // the store fails again meanwhile, or the dead-letter store does, the batch stays and is tried again.
        if (!(err instanceof StorageError) || err.retryable || !(await this.isolate(batch, err))) {
          await this.ctx.sleep(backoffDelay(attempt++));
          continue;
        }
      }
      await spool.remove(batch);
      replayed++;
      attempt = 0;
    }
  }

  /** False when a point could not be settled now (see `isolateRejected`): the batch stays in the spool. */
  private async isolate(batch: SpooledBatch, failure: StorageError): Promise<boolean> {
    const notStored = await isolateRejected(this.ctx, batch.database, batch.points, failure);
    for (const error of notStored.values()) if (error.retryable) return false;
    return true;
  }
}
