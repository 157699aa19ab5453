import { backoffDelay } from '../../core/backoff-delay.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { Spool } from './spool.js';
import type { StoreWriter } from './store-writer.js';

/** What /health tells of the spool (see `WriteBatcher.spoolHealth`). */
export interface SpoolHealth {
  /** A spool is configured (`[storage] spool_max_mb` > 0). */
  enabled: boolean;
  /** False while readings wait because a spool write failed. */
  ok: boolean;
  /** The last failure. */
  problem?: string;
  /** When the spool started failing (ISO 8601). */
  failing_since?: string;
  /** Failed spool writes since then (every batch's every attempt). */
  failed_writes?: number;
}

/**
 * Stores batches into the store, or into the spool while the database has batches there or the store
 * fails retryably; retries both with backoff while neither takes a batch, and keeps the spool's health.
 */
export class SpoolWriter {
  /** Databases with a batch waiting because its spool write failed. */
  private readonly failures = new Set<string>();
  private failingSince: number | undefined;
  private failedWrites = 0;
  private problem: string | undefined;
  /** The "spool is full" warning was logged and nothing got into the spool or the store since. */
  private full = false;

  constructor(
    private readonly ctx: {
      spool: Spool;
      writer: StoreWriter;
      log: Log;
      /** Writes the database's spooled batches in the background. */
      replay: (database: string) => void;
    },
  ) {}

  /**
   * The spool's state for /health: not ok while a batch waits because writing it to disk failed
   * (ENOSPC, EIO, EMFILE, …): its readings are not acknowledged until it is retried with success.
   */
  get health(): SpoolHealth {
    if (this.failingSince === undefined) return { enabled: true, ok: true };
    return {
      enabled: true,
      ok: false,
      problem: this.problem ?? 'spool write failed',
      failing_since: new Date(this.failingSince).toISOString(),
      failed_writes: this.failedWrites,
    };
  }

  /**
   * Stores a batch: into the store, or into the spool while the database has batches there (they go
   * first) or when the store fails retryably. When neither takes it (the store down and the spool full,
   * or its write failing: ENOSPC, EIO, EMFILE), both are tried again with backoff until one does or
   * `stop` gives up; the batch's readings stay unacknowledged meanwhile. Never a rejection for a failed
   * durable write: a rejected reading would wait unacknowledged for a new connection that never comes.
   */
  async store(database: string, points: readonly Point[]): Promise<void> {
    const { spool, writer } = this.ctx;
    for (let attempt = 0; ; attempt++) {
      // Asked again on every attempt: the replayer may have written and released the database meanwhile.
      if (!spool.holds(database)) {
        try {
          await writer.writeOnce(database, points);
          this.recovered(database);
          return;
        } catch (err) {
          if (!(err instanceof StorageError) || !err.retryable) throw err;
        }
      }
      let appended: boolean;
      try {
        appended = await spool.append(database, points);
      } catch (err) {
        this.failed(database, err);
        appended = false;
      }
      if (appended) {
        this.recovered(database);
        this.ctx.replay(database);
        return;
      }
      if (writer.givenUp)
        throw new StorageError('neither the store nor the spool takes readings, and daqd is stopping', true);
      if (!this.failures.has(database) && !this.full) {
        this.full = true;
        this.ctx.log.warning(
          `spool is full (${(spool.bytes / 2 ** 20).toFixed(0)} MB): readings of '${database}' wait for the store`,
        );
      }
      await writer.sleep(backoffDelay(attempt));
    }
  }

  /** A durable write failed: logged when the spool starts failing, not for every batch or attempt. */
  private failed(database: string, err: unknown): void {
    const problem = errorMessage(err);
    this.failedWrites++;
    this.problem = problem;
    if (this.failures.size === 0 && this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.ctx.log.error(
        `${problem}; retrying with backoff, readings stay unacknowledged until the spool or the store takes them`,
      );
    }
    this.failures.add(database);
  }

  /** A batch got into the spool or the store: the end of a failing spool's trouble for `database`. */
  private recovered(database: string): void {
    this.full = false;
    if (!this.failures.delete(database) || this.failures.size > 0) return;
    const since = this.failingSince ?? Date.now();
    this.ctx.log.notice(
      `spool: readings are stored again, after ${this.failedWrites} failed spool write(s) ` +
        `in ${((Date.now() - since) / 1000).toFixed(0)} s`,
    );
    this.failingSince = undefined;
    this.failedWrites = 0;
    this.problem = undefined;
  }
}
