import { backoffDelay } from '../../core/backoff-delay.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { Sink } from '../sink/sink.js';
import type { DeadLetterStore } from './dead-letter.js';
import { isolateRejected } from './isolate-rejected.js';
import type { Spool } from './spool.js';
import { SpoolReplayer } from './spool-replayer.js';

/**
 * Batching limits: a batch is written when it holds `batch_size` points, when it is `flush_interval` ms
 * old, or when no point has joined it for `flush_idle` ms.
 */
export interface BatchLimits {
  batch_size: number;
  flush_interval: number;
  /**
   * Idle time that closes a batch early (default 2 ms). Readings wait for their acknowledgement, so
   * once the broker's receive window is full (or every HTTP client waits for its answer) no more
   * arrive: waiting any longer then only stalls the flow. Readings that come together (one socket
   * read, one burst of requests) arrive well within it and still share a write.
   */
  flush_idle?: number;
}

/**
 * Default `flush_idle`, ms. Measured with `npm run bench` (bench/README.md): 10 ms capped 64 single-reading
 * HTTP clients at ~2,600 requests/s and gave 35 ms median latency at 5,000 MQTT readings/s; 2 ms gives
 * ~5,500 requests/s and 6 ms, with batches as large as before under full load.
 */
const DEFAULT_FLUSH_IDLE = 2;

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

interface Waiter {
  start: number;
  end: number;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

interface Pending {
  points: Point[];
  waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
  /** When the first and the latest points joined (ms, monotonic). */
  firstAt: number;
  lastAt: number;
}

/**
 * Collects points per database and writes them in batches, so one HTTP write carries thousands of
 * readings. `add` resolves only once its points are stored: that is when a reading may be acknowledged.
 * - Writes of one database run one at a time, in arrival order, each of at most `batch_size` points
 *   (a large add is split, so a big upload never becomes one huge write).
 * - With a spool: a batch the store fails to take (store down) goes to the spool on disk, and counts as
 *   stored (its readings are acknowledged); later batches of that database follow it into the spool
 *   until the spool has been written to the store, in order, so the order of a database's points holds.
 *   A full spool makes batches wait for room (callers are not answered meanwhile); so does a spool whose
 *   write fails (ENOSPC, EIO, EMFILE): the write is retried with backoff, logged once when the spool starts
 *   failing and once when readings are stored again, and reported by `spoolHealth`.
 * - Without a spool (or with a full one): a retryable failure is retried with backoff until it succeeds
 *   or `stop` gives up; meanwhile new points queue. Callers bound the queue (MQTT's receive window,
 *   HTTP's request count).
 * - A batch the store rejects for good is written point by point to find the bad ones; those go to the
 *   dead-letter store and their callers get the `StorageError`; the good ones are stored.
 */
export class WriteBatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly chains = new Map<string, Promise<void>>();
  private stopping = false;
  private giveUp = false;
  private outage: string | undefined;
  private readonly sleepers = new Set<() => void>();
  private queued = 0;
  private readonly replaying = new Map<string, Promise<void>>();
  private readonly replayer: SpoolReplayer | undefined;
  /** Databases with a batch waiting because its spool write failed. */
  private readonly spoolFailures = new Set<string>();
  private spoolFailingSince: number | undefined;
  private spoolFailedWrites = 0;
  private spoolProblem: string | undefined;
  /** The "spool is full" warning was logged and nothing got into the spool or the store since. */
  private spoolFull = false;

  constructor(
    private readonly ctx: {
      sink: Sink;
      limits: BatchLimits;
      log: Log;
      deadLetter: DeadLetterStore;
      /** Told of every write to the store: how long it took and whether it succeeded (for /metrics). */
      observeWrite?: ((seconds: number, ok: boolean) => void) | undefined;
      /** Where batches go while the store is down; none: they wait in memory. */
      spool?: Spool | undefined;
    },
  ) {
    const spool = ctx.spool;
    this.replayer =
      spool === undefined
        ? undefined
        : new SpoolReplayer({
            spool,
            write: (database, points) => this.writeOnce(database, points),
            sleep: (ms) => this.sleep(ms),
            stopped: () => this.stopping,
            deadLetter: ctx.deadLetter,
            log: ctx.log,
          });
  }

  /** Opens the spool and writes what an earlier run left in it (in the background). */
  async start(): Promise<void> {
    const spool = this.ctx.spool;
    if (spool === undefined) return;
    const databases = await spool.start();
    if (databases.length > 0) {
      this.ctx.log.notice(
        `spool: ${(spool.bytes / 2 ** 20).toFixed(1)} MB of readings of ${databases.length} database(s) ` +
          'left from before; writing them to the store first',
      );
    }
    for (const database of databases) this.replay(database);
  }

  /** Bytes of readings in the spool, waiting for the store. */
  get spooledBytes(): number {
    return this.ctx.spool?.bytes ?? 0;
  }

  /**
   * The spool's state for /health: not ok while a batch waits because writing it to disk failed
   * (ENOSPC, EIO, EMFILE, …): its readings are not acknowledged until it is retried with success.
   */
  get spoolHealth(): SpoolHealth {
    if (this.ctx.spool === undefined) return { enabled: false, ok: true };
    if (this.spoolFailingSince === undefined) return { enabled: true, ok: true };
    return {
      enabled: true,
      ok: false,
      problem: this.spoolProblem ?? 'spool write failed',
      failing_since: new Date(this.spoolFailingSince).toISOString(),
      failed_writes: this.spoolFailedWrites,
    };
  }

  /** Points accepted but not yet stored. */
  get depth(): number {
    return this.queued;
  }

  /**
   * Queues points for `database`; resolves when they are all stored, rejects with `StorageError`.
   * No write carries more than `batch_size` points: points that do not fit in the pending batch fill
   * it, and the rest continue in the next batches of the same database, written in order. Such an add
   * settles once every one of its parts has, rejecting with the first error a part got.
   */
  add(database: string, points: readonly Point[]): Promise<void> {
    if (this.giveUp) return Promise.reject(new StorageError('daqd is shutting down', true));
    return new Promise<void>((resolve, reject) => {
      const now = performance.now();
      const size = Math.max(1, Math.floor(this.ctx.limits.batch_size));
      let batch = this.openBatch(database, now);
      this.queued += points.length;
      if (points.length <= size - batch.points.length) {
        // One reading (MQTT) or a small upload: one waiter, no extra closures.
        this.append(batch, points, 0, points.length, resolve, reject);
      } else {
        const settle = partsSettle(
          partCount(points.length, size - batch.points.length, size),
          resolve,
          reject,
        );
        let at = 0;
        for (;;) {
          const take = Math.min(size - batch.points.length, points.length - at);
          this.append(batch, points, at, at + take, settle.resolve, settle.reject);
          at += take;
          if (at === points.length) break;
          this.flushDatabase(database);
          batch = this.openBatch(database, now);
        }
      }
      if (batch.points.length >= size || this.stopping) {
        this.flushDatabase(database);
      } else if (batch.timer === undefined) {
        this.armTimer(database, batch, now);
      }
    });
  }

  /** The pending batch of `database`, a new one when there is none. */
  private openBatch(database: string, now: number): Pending {
    let batch = this.pending.get(database);
    if (batch === undefined) {
      batch = { points: [], waiters: [], timer: undefined, firstAt: now, lastAt: now };
      this.pending.set(database, batch);
    }
    batch.lastAt = now;
    return batch;
  }

  /** Appends `points[from, to)` to the batch, with the waiter told when they are stored. */
  private append(
    batch: Pending,
    points: readonly Point[],
    from: number,
    to: number,
    resolve: () => void,
    reject: (err: StorageError) => void,
  ): void {
    const start = batch.points.length;
    for (let i = from; i < to; i++) batch.points.push(points[i] as Point);
    batch.waiters.push({ start, end: batch.points.length, resolve, reject });
  }

  /** One timer per batch, re-armed instead of reset on every point (cheap on the hot path). */
  private armTimer(database: string, batch: Pending, now: number): void {
    const idle = this.ctx.limits.flush_idle ?? DEFAULT_FLUSH_IDLE;
    const wait = Math.min(
      idle - (now - batch.lastAt),
      this.ctx.limits.flush_interval - (now - batch.firstAt),
    );
    batch.timer = setTimeout(
      () => {
        batch.timer = undefined;
        if (this.pending.get(database) !== batch) return;
        const at = performance.now();
        if (at - batch.lastAt >= idle || at - batch.firstAt >= this.ctx.limits.flush_interval) {
          this.flushDatabase(database);
        } else {
          this.armTimer(database, batch, at);
        }
      },
      Math.max(wait, 0),
    );
  }

  /** Writes everything queued now and waits until it is stored (or failed for good). */
  async flush(): Promise<void> {
    for (const database of [...this.pending.keys()]) this.flushDatabase(database);
    await Promise.all([...this.chains.values()]);
  }

  /**
   * Writes what is queued and waits, at most `deadline` ms. Past the deadline, retrying stops and the
   * waiting callers get a retryable `StorageError`, so their readings are not acknowledged and the
   * broker delivers them again later.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.giveUp = true;
        for (const wake of this.sleepers) wake();
        resolve();
      }, deadline);
    });
    try {
      await this.flush();
      // Replaying stops after the batch in hand; what is left in the spool is written after the next start.
      await Promise.race([Promise.all(this.replaying.values()), expired]);
    } finally {
      clearTimeout(timer);
      this.giveUp = true;
    }
  }

  private flushDatabase(database: string): void {
    const batch = this.pending.get(database);
    if (batch === undefined) return;
    this.pending.delete(database);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const previous = this.chains.get(database) ?? Promise.resolve();
    const next = previous.then(() => this.writeBatch(database, batch));
    this.chains.set(database, next);
    void next.then(() => {
      if (this.chains.get(database) === next) this.chains.delete(database);
    });
  }

  private async writeBatch(database: string, batch: Pending): Promise<void> {
    const { points, waiters } = batch;
    try {
      await this.store(database, points);
      for (const w of waiters) w.resolve();
    } catch (err) {
      const failure =
        err instanceof StorageError ? err : new StorageError(errorMessage(err), true, { cause: err });
      if (failure.retryable) {
        for (const w of waiters) w.reject(failure);
      } else {
        await this.isolate(database, points, waiters, failure);
      }
    } finally {
      this.queued -= points.length;
    }
  }

  /**
   * Stores a batch: into the store, or into the spool while the database has batches there (they go
   * first) or when the store fails retryably. When neither takes it (the store down and the spool full,
   * or its write failing: ENOSPC, EIO, EMFILE), both are tried again with backoff until one does or
   * `stop` gives up; the batch's readings stay unacknowledged meanwhile. Never a rejection for a failed
   * durable write: a rejected reading would wait unacknowledged for a new connection that never comes.
   */
  private async store(database: string, points: readonly Point[]): Promise<void> {
    const spool = this.ctx.spool;
    if (spool === undefined) return this.writeWithRetry(database, points);
    for (let attempt = 0; ; attempt++) {
      // Asked again on every attempt: the replayer may have written and released the database meanwhile.
      if (!spool.holds(database)) {
        try {
          await this.writeOnce(database, points);
          this.spoolRecovered(database);
          return;
        } catch (err) {
          if (!(err instanceof StorageError) || !err.retryable) throw err;
        }
      }
      let appended: boolean;
      try {
        appended = await spool.append(database, points);
      } catch (err) {
        this.spoolFailed(database, err);
        appended = false;
      }
      if (appended) {
        this.spoolRecovered(database);
        this.replay(database);
        return;
      }
      if (this.giveUp)
        throw new StorageError('neither the store nor the spool takes readings, and daqd is stopping', true);
      if (!this.spoolFailures.has(database) && !this.spoolFull) {
        this.spoolFull = true;
        this.ctx.log.warning(
          `spool is full (${(spool.bytes / 2 ** 20).toFixed(0)} MB): readings of '${database}' wait for the store`,
        );
      }
      await this.sleep(backoffDelay(attempt));
    }
  }

  /** A durable write failed: logged when the spool starts failing, not for every batch or attempt. */
  private spoolFailed(database: string, err: unknown): void {
    const problem = errorMessage(err);
    this.spoolFailedWrites++;
    this.spoolProblem = problem;
    if (this.spoolFailures.size === 0 && this.spoolFailingSince === undefined) {
      this.spoolFailingSince = Date.now();
      this.ctx.log.error(
        `${problem}; retrying with backoff, readings stay unacknowledged until the spool or the store takes them`,
      );
    }
    this.spoolFailures.add(database);
  }

  /** A batch got into the spool or the store: the end of a failing spool's trouble for `database`. */
  private spoolRecovered(database: string): void {
    this.spoolFull = false;
    if (!this.spoolFailures.delete(database) || this.spoolFailures.size > 0) return;
    const since = this.spoolFailingSince ?? Date.now();
    this.ctx.log.notice(
      `spool: readings are stored again, after ${this.spoolFailedWrites} failed spool write(s) ` +
        `in ${((Date.now() - since) / 1000).toFixed(0)} s`,
    );
    this.spoolFailingSince = undefined;
    this.spoolFailedWrites = 0;
    this.spoolProblem = undefined;
  }

  /**
   * A batch the store rejected for good: its good points are stored, the bad ones go to the dead-letter
   * store and their callers get the store's error. A caller whose points could not be settled (daqd
   * stops while the store is down, or the dead-letter store fails) gets a retryable error: its readings
   * stay unacknowledged and come again.
   */
  private async isolate(
    database: string,
    points: readonly Point[],
    waiters: readonly Waiter[],
    failure: StorageError,
  ): Promise<void> {
    const notStored = await isolateRejected(
      {
        write: (db, pts) => this.writeWithRetry(db, pts),
        deadLetter: this.ctx.deadLetter,
        log: this.ctx.log,
      },
      database,
      points,
      failure,
    );
    for (const w of waiters) {
      let error: StorageError | undefined;
      for (let i = w.start; i < w.end && error === undefined; i++) error = notStored.get(i);
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  /** Writes the database's spooled batches in the background, unless that is under way already. */
  private replay(database: string): void {
    const replayer = this.replayer;
    if (replayer === undefined || this.replaying.has(database)) return;
    const run = replayer
      .run(database)
      .catch((err: unknown) => {
        this.ctx.log.error(`spool: replaying '${database}' stopped: ${errorMessage(err)}`);
      })
      .finally(() => this.replaying.delete(database));
    this.replaying.set(database, run);
  }

  /** One write to the store; logs when it starts failing and when it is back. */
  private async writeOnce(database: string, points: readonly Point[]): Promise<void> {
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
            (this.ctx.spool === undefined
              ? `retrying, ${this.queued} points waiting`
              : 'keeping readings in the spool until it is back'),
        );
      }
      throw err;
    } finally {
      this.ctx.observeWrite?.((performance.now() - started) / 1000, ok);
    }
    if (this.outage !== undefined) {
      this.ctx.log.notice(
        `storage '${this.ctx.sink.kind}' is back` +
          (this.ctx.spool === undefined ? `; writing the ${this.queued} queued points` : ''),
      );
      this.outage = undefined;
    }
  }

  private async writeWithRetry(database: string, points: readonly Point[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.writeOnce(database, points);
        return;
      } catch (err) {
        if (!(err instanceof StorageError) || !err.retryable || this.giveUp) throw err;
        await this.sleep(backoffDelay(attempt));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
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

/** How many batches an add of `length` points spans when `room` points still fit in the pending one. */
function partCount(length: number, room: number, size: number): number {
  return 1 + Math.ceil((length - room) / size);
}

/**
 * Waiter callbacks shared by the `parts` parts of one add: the add resolves when all parts are stored,
 * or rejects with the first part's error once all have settled (so nothing of it is still in flight).
 */
function partsSettle(
  parts: number,
  resolve: () => void,
  reject: (err: StorageError) => void,
): { resolve: () => void; reject: (err: StorageError) => void } {
  let left = parts;
  let failure: StorageError | undefined;
  const done = () => {
    if (--left > 0) return;
    if (failure === undefined) resolve();
    else reject(failure);
  };
  return {
    resolve: done,
    reject: (err) => {
      failure ??= err;
      done();
    },
  };
}
