import type { StorageError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import { type BatchLimits, DEFAULT_FLUSH_IDLE } from './batch-limits.js';

/** A caller waiting for `points[start, end)` of a batch to be stored. */
export interface Waiter {
  start: number;
  end: number;
  resolve: () => void;
  reject: (err: StorageError) => void;
}

/** A batch being filled: its points and the callers waiting for them. */
export interface PendingBatch {
  points: Point[];
  waiters: Waiter[];
  /** When the first point joined (ms, monotonic). */
  firstAt: number;
}

/**
 * The batch being filled for each database. A batch is handed to `flush` when it holds `batch_size`
 * points, when it is `flush_interval` ms old, or when no point has joined any batch for `flush_idle` ms
 * (then all of them are; see `arm`).
 */
export class PendingBatches {
  private readonly pending = new Map<string, PendingBatch>();
  /** When the latest point joined any batch (ms, monotonic). */
  private lastAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: {
      limits: BatchLimits;
      /** Takes the database's pending batch (with `take`) to write it. */
      flush: (database: string) => void;
    },
  ) {}

  /** Databases with a pending batch. */
  databases(): string[] {
    return [...this.pending.keys()];
  }

  /** Removes the pending batch of `database` and stops its timer. */
  take(database: string): PendingBatch | undefined {
    const batch = this.pending.get(database);
    if (batch === undefined) return undefined;
    this.pending.delete(database);
    if (this.pending.size === 0 && this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    return batch;
  }

  /**
   * Adds points to the batches of `database`; `resolve`/`reject` are called once they are all stored.
   * No batch holds more than `batch_size` points: points that do not fit in the pending batch fill it,
   * and the rest continue in the next batches of the same database. Such an add settles once every one
   * of its parts has, rejecting with the first error a part got. With `flushNow`, the last batch is
   * flushed at once.
   */
  add(
    database: string,
    points: readonly Point[],
    resolve: () => void,
    reject: (err: StorageError) => void,
    flushNow: boolean,
  ): void {
    const now = performance.now();
    const size = Math.max(1, Math.floor(this.ctx.limits.batch_size));
    let batch = this.openBatch(database, now);
    if (points.length <= size - batch.points.length) {
      // One reading (MQTT) or a small upload: one waiter, no extra closures.
      this.append(batch, points, 0, points.length, resolve, reject);
    } else {
      const settle = partsSettle(partCount(points.length, size - batch.points.length, size), resolve, reject);
      let at = 0;
      for (;;) {
        const take = Math.min(size - batch.points.length, points.length - at);
        this.append(batch, points, at, at + take, settle.resolve, settle.reject);
        at += take;
        if (at === points.length) break;
        this.ctx.flush(database);
        batch = this.openBatch(database, now);
      }
    }
    if (batch.points.length >= size || flushNow) {
      this.ctx.flush(database);
    } else {
      this.arm(now);
    }
  }

  /** The pending batch of `database`, a new one when there is none. */
  private openBatch(database: string, now: number): PendingBatch {
    let batch = this.pending.get(database);
    if (batch === undefined) {
      batch = { points: [], waiters: [], firstAt: now };
      this.pending.set(database, batch);
    }
    this.lastAt = now;
    return batch;
  }

  /** Appends `points[from, to)` to the batch, with the waiter told when they are stored. */
  private append(
    batch: PendingBatch,
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

  /**
   * One timer for all batches, re-armed instead of reset on every point (cheap on the hot path). The
   * idle wait counts from the latest point of any database: readings of several databases share the
   * broker's receive window (and HTTP clients their requests), so when none arrives for `flush_idle`
   * ms the window is full for all of them, and all pending batches go out together. Their writes then
   * run side by side and their readings are acknowledged together, so the next readings arrive
   * together too, instead of each database's batches drifting apart into many small writes.
   */
  private arm(now: number): void {
    if (this.timer !== undefined || this.pending.size === 0) return;
    const idle = this.ctx.limits.flush_idle ?? DEFAULT_FLUSH_IDLE;
    let wait = idle - (now - this.lastAt);
    for (const batch of this.pending.values()) {
      wait = Math.min(wait, this.ctx.limits.flush_interval - (now - batch.firstAt));
    }
    this.timer = setTimeout(() => this.onTimer(), Math.max(wait, 0));
  }

  private onTimer(): void {
    this.timer = undefined;
    const at = performance.now();
    const idle = this.ctx.limits.flush_idle ?? DEFAULT_FLUSH_IDLE;
    const allIdle = at - this.lastAt >= idle;
    for (const [database, batch] of [...this.pending]) {
      if (allIdle || at - batch.firstAt >= this.ctx.limits.flush_interval) this.ctx.flush(database);
    }
    this.arm(at);
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
