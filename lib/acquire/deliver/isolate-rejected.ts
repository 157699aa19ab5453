import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import type { DeadLetterStore } from './dead-letter.js';

/** What `isolateRejected` needs. */
export interface IsolateContext {
  /** Writes points to the store; rejects with `StorageError` (the batcher's write, which logs outages). */
  write: (database: string, points: readonly Point[]) => Promise<void>;
  deadLetter: DeadLetterStore;
  log: Log;
}

/**
 * Settles a batch the store rejected for good (`failure`, not retryable): writes its points one at a
 * time (a point written twice is kept once, the `Sink` contract) and puts the ones rejected again into
 * the dead-letter store, each with the store's reason. Resolves to the error of every point not stored,
 * by its index in `points` (empty: all are stored now):
 * - not retryable: the store rejects the point for good; it is in the dead-letter store.
 * - retryable: the point is neither stored nor in the dead-letter store, because the store failed
 *   retryably meanwhile (the points after it are not tried) or the dead-letter store could not take it
 *   (disk full, EIO). The caller keeps it — unacknowledged, or in the spool — and tries again: a point
 *   is never lost because its dead letter could not be written.
 */
export async function isolateRejected(
  ctx: IsolateContext,
  database: string,
  points: readonly Point[],
  failure: StorageError,
): Promise<Map<number, StorageError>> {
  const notStored = new Map<number, StorageError>();
  let unavailable: StorageError | undefined;
  if (points.length === 1) {
    notStored.set(0, failure);
  } else {
    for (let i = 0; i < points.length; i++) {
      if (unavailable !== undefined) {
        notStored.set(i, unavailable);
        continue;
      }
      try {
        await ctx.write(database, [points[i] as Point]);
      } catch (err) {
        const error =
          err instanceof StorageError ? err : new StorageError(errorMessage(err), true, { cause: err });
        if (error.retryable) unavailable = error;
        notStored.set(i, error);
      }
    }
  }
  // One append per reason (a batch's rejections usually share one), in the order first seen.
  const byReason = new Map<string, number[]>();
  for (const [i, error] of notStored) {
    if (error.retryable) continue;
    let group = byReason.get(error.message);
    if (group === undefined) {
      group = [];
      byReason.set(error.message, group);
    }
    group.push(i);
  }
  if (byReason.size === 0) return notStored;
  let kept = 0;
  for (const [reason, indexes] of byReason) {
    try {
      await ctx.deadLetter.add(
        database,
        indexes.map((i) => points[i] as Point),
        reason,
      );
      kept += indexes.length;
    } catch (err) {
      const message =
        `dead-letter store failed for '${database}': ${errorMessage(err)}; ${indexes.length} point(s) ` +
        'the store rejected stay unacknowledged (or in the spool) and are tried again';
      ctx.log.error(message);
      const error = new StorageError(message, true, { cause: err });
      for (const i of indexes) notStored.set(i, error);
    }
  }
  if (kept > 0) {
    const first = [...byReason.keys()][0];
    ctx.log.error(
      `storage rejected ${kept} point(s) of '${database}' for good (${first}); ` +
        `kept in ${ctx.deadLetter.fileFor(database)}`,
    );
  }
  return notStored;
}
