import { setTimeout as sleep } from 'node:timers/promises';

/** How one polling round spreads its requests. */
export interface RoundSpread {
  /** Requests in flight at most. */
  concurrency: number;
  /** Each request starts at a delay drawn from [0, jitterMs). */
  jitterMs: number;
  /** Uniform in [0, 1): `Math.random` in the daemon, fixed draws in tests. */
  random: () => number;
  /** Aborts the round: requests not yet started never start; the signal is handed to those running. */
  signal: AbortSignal;
}

/**
 * The start delays of a round's `count` requests, ms: each drawn from [0, jitter), so a hundred nodes
 * are not fetched in the same second (and not in the same order every round). Pure.
 */
export function jitterDelays(count: number, jitterMs: number, random: () => number): number[] {
  return Array.from({ length: count }, () => Math.floor(random() * jitterMs));
}

/**
 * Ms from now until the next round: rounds start `intervalMs` apart, counted from the start of the
 * last one; a round that took longer than that is followed at once, never by a pile of rounds. Pure.
 */
export function nextRoundDelay(startedAt: number, now: number, intervalMs: number): number {
  return Math.max(0, startedAt + intervalMs - now);
}

/**
 * Runs `job` for every item of one round: each at its jitter delay, at most `concurrency` at once, in
 * the order their delays end. A slow item holds one slot only, until its own timeout: the others go
 * on in the remaining slots. Resolves with the jobs' results in item order once all have settled
 * (`job` handles its own errors); items the abort kept from starting get `skipped(item)`.
 *
 * Written out rather than taken from `p-limit`: waiting for a slot must end on abort, and the round
 * needs both the jitter and the slot, in that order.
 */
export async function spreadRound<T, R>(
  items: readonly T[],
  spread: RoundSpread,
  job: (item: T, signal: AbortSignal) => Promise<R>,
  skipped: (item: T) => R,
): Promise<R[]> {
  const delays = jitterDelays(items.length, spread.jitterMs, spread.random);
  const slots = new Slots(spread.concurrency, spread.signal);
  return Promise.all(
    items.map(async (item, index) => {
      try {
        if (delays[index]! > 0) await sleep(delays[index]!, undefined, { signal: spread.signal });
        await slots.take();
      } catch {
        return skipped(item);
      }
      try {
        return await job(item, spread.signal);
      } finally {
        slots.give();
      }
    }),
  );
}

/** A counting semaphore whose waiters are let go (rejected) when the signal aborts. */
class Slots {
  private free: number;
  private readonly waiting: { resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(
    size: number,
    private readonly signal: AbortSignal,
  ) {
    this.free = size;
    signal.addEventListener(
      'abort',
      () => {
        for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('round aborted'));
      },
      { once: true },
    );
  }

  take(): Promise<void> {
    if (this.signal.aborted) return Promise.reject(new Error('round aborted'));
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  give(): void {
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve();
    else this.free++;
  }
}
