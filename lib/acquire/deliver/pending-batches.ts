import type { StorageError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import { type BatchLimits, DEFAULT_FLUSH_IDLE } from './batch-limits.js';

/**
 * Told once how the points of an add ended: `stored` (in the store or the spool), or `failed` with a
 * `StorageError`. An object rather than a promise's two functions: an MQTT reading waits for its batch
 * with one of these, and what it keeps alive meanwhile is what the GC copies and promotes. Neither
 * method may throw: the batcher tells every waiter of a batch in turn.
 */
export interface Settle {
  stored(): void;
  failed(err: StorageError): void;
}

/** A caller waiting for `points[start, end)` of a batch to be stored. */
export interface Waiter {
  start: number;
  end: number;
  settle: Settle;
}

/** A batch being filled: its points and the callers waiting for them. */
export interface PendingBatch {
  points: Point[];
  waiters: Waiter[];
  timer: NodeJS.Timeout | undefined;
  /** When the first and the latest points joined (ms, monotonic). */
  firstAt: number;
  lastAt: number;
  /**
   * Its time is up, but the owner keeps it open while the database's write before it is under way
   * (`due` answered false): it goes on taking points, with no timer, until the owner takes it.
   */
  held: boolean;
  /** Its idle timer fired: it is looked at again after the event loop has read what arrived meanwhile. */
  checking: boolean;
}

/**
 * The batch being filled for each database. A batch is handed to `flush` when it holds `batch_size`
 * points; when it is `flush_interval` ms old, or no point has joined it for `flush_idle` ms, the owner
 * is asked (`due`) whether it takes it now or holds it open until it takes it itself.
 */
export class PendingBatches {
  private readonly pending = new Map<string, PendingBatch>();

  constructor(
    private readonly ctx: {
      limits: BatchLimits;
      /** Takes the database's pending batch (with `take`) to write it. */
      flush: (database: string) => void;
      /**
       * The pending batch of `database` is old or idle enough to be written: true when the owner took
       * it (with `take`), false when it holds it open for now (the owner takes it later).
       */
      due: (database: string) => boolean;
    },
  ) {}

  /** Databases with a pending batch. */
  databases(): string[] {
    return [...this.pending.keys()];
  }

  /** The pending batch of `database`, left in place. */
  peek(database: string): PendingBatch | undefined {
    return this.pending.get(database);
  }

  /** Removes the pending batch of `database` and stops its timer. */
  take(database: string): PendingBatch | undefined {
    const batch = this.pending.get(database);
    if (batch === undefined) return undefined;
    this.pending.delete(database);
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    return batch;
  }

  /**
   * Adds points to the batches of `database`; `settle` is told once they are all stored (or not).
   * No batch holds more than `batch_size` points: points that do not fit in the pending batch fill it,
   * and the rest continue in the next batches of the same database. Such an add settles once every one
   * of its parts has, rejecting with the first error a part got. With `flushNow`, the last batch is
   * flushed at once.
   */
  add(database: string, points: readonly Point[], settle: Settle, flushNow: boolean): void {
    const now = performance.now();
    const size = Math.max(1, Math.floor(this.ctx.limits.batch_size));
    let batch = this.openBatch(database, now);
    if (points.length <= size - batch.points.length) {
      // One reading (MQTT) or a small upload: one waiter, no extra objects.
      this.append(batch, points, 0, points.length, settle);
    } else {
      const parts = partsSettle(partCount(points.length, size - batch.points.length, size), settle);
      let at = 0;
      for (;;) {
        const take = Math.min(size - batch.points.length, points.length - at);
        this.append(batch, points, at, at + take, parts);
        at += take;
        if (at === points.length) break;
        this.ctx.flush(database);
        batch = this.openBatch(database, now);
      }
    }
    if (batch.points.length >= size || flushNow) {
      this.ctx.flush(database);
    } else if (batch.timer === undefined && !batch.held && !batch.checking) {
      this.armTimer(database, batch, now);
    }
  }

  /** The pending batch of `database`, a new one when there is none. */
  private openBatch(database: string, now: number): PendingBatch {
    let batch = this.pending.get(database);
    if (batch === undefined) {
      batch = {
        points: [],
        waiters: [],
        timer: undefined,
        firstAt: now,
        lastAt: now,
        held: false,
        checking: false,
      };
      this.pending.set(database, batch);
    }
    batch.lastAt = now;
    return batch;
  }

  /** Appends `points[from, to)` to the batch, with the waiter told when they are stored. */
  private append(
    batch: PendingBatch,
    points: readonly Point[],
    from: number,
    to: number,
    settle: Settle,
  ): void {
    const start = batch.points.length;
    for (let i = from; i < to; i++) batch.points.push(points[i] as Point);
    batch.waiters.push({ start, end: batch.points.length, settle });
  }

  /**
   * One timer per batch, re-armed instead of reset on every point (cheap on the hot path). A batch
   * that looks idle by the clock is looked at once more after the event loop's next poll phase
   * (`setImmediate`): timers run before the loop reads its sockets, so after a busy stretch of this
   * process (a GC pause, a burst of write answers) every batch would look idle although its points
   * are waiting in a socket. Only a batch to which nothing was added by then is idle.
   */
  private armTimer(database: string, batch: PendingBatch, now: number): void {
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
        if (at - batch.firstAt >= this.ctx.limits.flush_interval) {
          this.due(database, batch);
        } else if (at - batch.lastAt < idle) {
          this.armTimer(database, batch, at);
        } else {
          const lastAt = batch.lastAt;
          batch.checking = true;
          setImmediate(() => {
            batch.checking = false;
            if (this.pending.get(database) !== batch) return;
            if (batch.lastAt === lastAt) this.due(database, batch);
            else this.armTimer(database, batch, performance.now());
          });
        }
      },
      Math.max(wait, 0),
    );
  }

  /** The batch's time is up: the owner takes it, or holds it open (see `due`). */
  private due(database: string, batch: PendingBatch): void {
    if (!this.ctx.due(database)) batch.held = true;
  }
}

/** How many batches an add of `length` points spans when `room` points still fit in the pending one. */
function partCount(length: number, room: number, size: number): number {
  return 1 + Math.ceil((length - room) / size);
}

/**
 * The `Settle` shared by the `parts` parts of one add: the add is stored when all parts are, or failed
 * with the first part's error once all have settled (so nothing of it is still in flight).
 */
function partsSettle(parts: number, settle: Settle): Settle {
  let left = parts;
  let failure: StorageError | undefined;
  const done = () => {
    if (--left > 0) return;
    if (failure === undefined) settle.stored();
    else settle.failed(failure);
  };
  return {
    stored: done,
    failed: (err) => {
      failure ??= err;
      done();
    },
  };
}
