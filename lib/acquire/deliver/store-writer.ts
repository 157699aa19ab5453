import { backoffDelay } from '../../core/backoff-delay.js';
import { StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { Sink } from '../sink/sink.js';

/**
 * Writes batches to the store: once, or retried with backoff while the store fails retryably, until
 * `giveUp`. Logs once when the store starts failing and once when it is back, and tells `observeWrite`
 * of every write.
 */
export class StoreWriter {
  private outage: string | undefined;
  private readonly sleepers = new Set<() => void>();
  private gaveUp = false;

  constructor(
    private readonly ctx: {
      sink: Sink;
      log: Log;
      /** Told of every write to the store: how long it took and whether it succeeded (for /metrics). */
      observeWrite?: ((seconds: number, ok: boolean) => void) | undefined;
      /** Batches go to a spool while the store is down (only changes what is logged). */
      spooled: boolean;
      /** Points accepted but not yet stored (for the log). */
      queued: () => number;
    },
  ) {}

  /** Retrying has stopped: daqd is stopping and its deadline has passed. */
  get givenUp(): boolean {
    return this.gaveUp;
  }

  /** Stops retrying; with `wake`, backoff sleeps under way end at once. */
  giveUp(wake: boolean): void {
    this.gaveUp = true;
    if (wake) for (const done of this.sleepers) done();
  }

  /** One write to the store; logs when it starts failing and when it is back. */
  async writeOnce(database: string, points: readonly Point[]): Promise<void> {
    const started = performance.now();
    let ok = false;
    try {
      await this.ctx.sink.write(database, points);
      ok = true;
    } catch (err) {
      // A damaged database is no outage (the sink names it once, at error level): others may be fine.
      if (err instanceof StorageError && err.retryable && !err.corrupt && this.outage === undefined) {
        this.outage = err.message;
        this.ctx.log.warning(
          `storage '${this.ctx.sink.kind}' failed: ${err.message}; ` +
            (this.ctx.spooled
              ? 'keeping readings in the spool until it is back'
              : `retrying, ${this.ctx.queued()} points waiting`),
        );
      }
      throw err;
    } finally {
      this.ctx.observeWrite?.((performance.now() - started) / 1000, ok);
    }
    if (this.outage !== undefined) {
      this.ctx.log.notice(
        `storage '${this.ctx.sink.kind}' is back` +
          (this.ctx.spooled ? '' : `; writing the ${this.ctx.queued()} queued points`),
      );
      this.outage = undefined;
    }
  }

  /** Writes, retrying a retryable failure with backoff until it succeeds or retrying is given up. */
  async writeWithRetry(database: string, points: readonly Point[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writeOnce(database, points);
        return;
      } catch (err) {
        if (!(err instanceof StorageError) || !err.retryable || this.gaveUp) throw err;
        await this.sleep(backoffDelay(attempt));
      }
    }
  }

  /** Waits `ms`, or less when retrying is given up meanwhile. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}
