import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { TimeSpan } from '../sanitize/line-time-span.js';
import type { Sink } from '../sink/sink.js';
import type { BatchLimits } from './batch-limits.js';
import { batchTimeSpan, spansApart } from './batch-time-span.js';
import type { DeadLetterStore } from './dead-letter.js';
import { isolateRejected } from './isolate-rejected.js';
import { type PendingBatch, PendingBatches, type Settle, type Waiter } from './pending-batches.js';
import type { Spool } from './spool.js';
import { SpoolReplayer } from './spool-replayer.js';
import { type SpoolHealth, SpoolWriter } from './spool-writer.js';
import { StoreWriter } from './store-writer.js';

/** The writes of a database: the latest batch's, and what it may overlap with. */
interface WriteLane {
  /** Settles once the latest batch and every one before it are written (or failed for good). */
  allDone: Promise<void>;
  /** Settles once every batch before the latest is written. */
  before: Promise<void>;
  /** The latest batch's time span (`batchTimeSpan`). */
  span: TimeSpan | undefined;
  /** The caller of the latest batch's last points (a split add has parts in the next batch too). */
  lastCaller: unknown;
}

/**
 * Collects points per database and writes them in batches, so one HTTP write carries thousands of
 * readings. `add` resolves only once its points are stored: that is when a reading may be acknowledged.
 * - Writes of one database run one at a time, in arrival order, each of at most `batch_size` points
 *   (a large add is split, so a big upload never becomes one huge write). While a write of the
 *   database is under way, its next batch stays open past `flush_idle` and `flush_interval` and
 *   goes on taking points until that write is done (or it is full): it could not be written sooner
 *   anyway, and every point it takes meanwhile saves a write. Under load a database thus gets a few
 *   large writes instead of many small ones; an idle database's first readings still go out after
 *   `flush_idle`. One exception: a batch may
 *   be written while the batch before it still is (two at a time, as a client of InfluxDB's write API
 *   sends them) when both hold only points that came as line protocol, from requests whose time spans
 *   do not meet, and no caller has points in both. No point of one can then overwrite a point of the
 *   other (same series, same time), so the order in which they reach the store changes nothing
 *   stored; and both requests were waiting for their answer at once, so their senders gave them no
 *   order either (InfluxDB keeps none between requests in flight together).
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
  private readonly pending: PendingBatches;
  private readonly lanes = new Map<string, WriteLane>();
  private stopping = false;
  private queued = 0;
  private readonly replaying = new Map<string, Promise<void>>();
  private readonly writer: StoreWriter;
  private readonly spoolWriter: SpoolWriter | undefined;
  private readonly replayer: SpoolReplayer | undefined;

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
      /**
       * Told of points once they are stored (the web view's live feed), a batch at a time: the points
       * of the adds whose callers were answered that they are stored. Must not throw, nor keep the
       * array past the call: the batcher empties it once the write is settled.
       */
      onStored?: ((database: string, points: readonly Point[]) => void) | undefined;
    },
  ) {
    const spool = ctx.spool;
    const writer = new StoreWriter({
      sink: ctx.sink,
      log: ctx.log,
      observeWrite: ctx.observeWrite,
      spooled: spool !== undefined,
      queued: () => this.queued,
    });
    this.writer = writer;
    this.pending = new PendingBatches({
      limits: ctx.limits,
      flush: (database) => this.flushDatabase(database, false),
      due: (database) => this.flushDatabase(database, true),
    });
    this.spoolWriter =
      spool === undefined
        ? undefined
        : new SpoolWriter({ spool, writer, log: ctx.log, replay: (database) => this.replay(database) });
    this.replayer =
      spool === undefined
        ? undefined
        : new SpoolReplayer({
            spool,
            write: (database, points) => writer.writeOnce(database, points),
            sleep: (ms) => writer.sleep(ms),
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
    return this.spoolWriter?.health ?? { enabled: false, ok: true };
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
    return new Promise<void>((resolve, reject) =>
      this.addSettled(database, points, { stored: resolve, failed: reject }),
    );
  }

  /**
   * `add` without a promise: `settle` is told once the points are stored (or failed), never before this
   * returns. For a caller that waits per reading (MQTT), whose in-flight readings should keep as little
   * alive as they can.
   */
  addSettled(database: string, points: readonly Point[], settle: Settle): void {
    if (this.writer.givenUp) {
      const failure = new StorageError('daqd is shutting down', true);
      queueMicrotask(() => settle.failed(failure));
      return;
    }
    this.queued += points.length;
    this.pending.add(database, points, settle, this.stopping);
  }

  /** Writes everything queued now and waits until it is stored (or failed for good). */
  async flush(): Promise<void> {
    for (const database of this.pending.databases()) this.flushDatabase(database, false);
    await Promise.all([...this.lanes.values()].map((lane) => lane.allDone));
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
        this.writer.giveUp(true);
        resolve();
      }, deadline);
    });
    try {
      await this.flush();
      // Replaying stops after the batch in hand; what is left in the spool is written after the next start.
      await Promise.race([Promise.all(this.replaying.values()), expired]);
    } finally {
      clearTimeout(timer);
      this.writer.giveUp(false);
    }
  }

  /**
   * Takes the pending batch of `database` and queues its write behind the database's writes. With
   * `unlessBusy` (its time is up, but it is not full), a batch that would only wait for the write under
   * way is left open instead (false): `released` takes it once the database's writes are done.
   */
  private flushDatabase(database: string, unlessBusy: boolean): boolean {
    const lane = this.lanes.get(database);
    const pending = this.pending.peek(database);
    if (pending === undefined) return true;
    const span = batchTimeSpan(pending.points);
    // Next to the batch before it only when neither can overwrite a point of the other (see the class).
    const overlap =
      lane !== undefined &&
      span !== undefined &&
      lane.span !== undefined &&
      spansApart(span, lane.span) &&
      lane.lastCaller !== pending.waiters[0]?.settle;
    if (unlessBusy && lane !== undefined && !overlap) return false;
    const batch = this.pending.take(database) as PendingBatch;
    const before = lane?.allDone ?? Promise.resolve();
    const done = (overlap ? lane.before : before).then(() => this.writeBatch(database, batch));
    const next: WriteLane = {
      allDone: Promise.all([before, done]).then(() => {}),
      before,
      span,
      lastCaller: batch.waiters[batch.waiters.length - 1]?.settle,
    };
    this.lanes.set(database, next);
    void next.allDone.then(() => {
      if (this.lanes.get(database) !== next) return;
      this.lanes.delete(database);
      this.released(database);
    });
    return true;
  }

  /** The writes of `database` are done: a batch held open for them goes now. */
  private released(database: string): void {
    if (this.pending.peek(database)?.held === true) this.flushDatabase(database, false);
  }

  private async writeBatch(database: string, batch: PendingBatch): Promise<void> {
    const { points, waiters } = batch;
    try {
      await (this.spoolWriter === undefined
        ? this.writer.writeWithRetry(database, points)
        : this.spoolWriter.store(database, points));
      for (const w of waiters) w.settle.stored();
      // Once per batch, not per add: an add per reading (MQTT) would cost a closure per reading.
      this.ctx.onStored?.(database, points);
    } catch (err) {
      const failure =
        err instanceof StorageError ? err : new StorageError(errorMessage(err), true, { cause: err });
      if (failure.retryable) {
        for (const w of waiters) w.settle.failed(failure);
      } else {
        await this.isolate(database, points, waiters, failure);
      }
    } finally {
      this.queued -= points.length;
      // A batch fills for as long as the write before it takes, so with several databases its arrays
      // often outlive two scavenges and move to old space. Dead there until the next mark-compact, they
      // would keep every point, waiter and message of the batch alive through the young-generation
      // collections meanwhile and get those promoted too; emptied, they hold nothing.
      points.length = 0;
      waiters.length = 0;
    }
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
        write: (db, pts) => this.writer.writeWithRetry(db, pts),
        deadLetter: this.ctx.deadLetter,
        log: this.ctx.log,
      },
      database,
      points,
      failure,
    );
    const stored: Point[] = [];
    for (const w of waiters) {
      let error: StorageError | undefined;
      for (let i = w.start; i < w.end && error === undefined; i++) error = notStored.get(i);
      if (error === undefined) {
        w.settle.stored();
        for (let i = w.start; i < w.end; i++) stored.push(points[i] as Point);
      } else {
        w.settle.failed(error);
      }
    }
    if (stored.length > 0) this.ctx.onStored?.(database, stored);
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
}
