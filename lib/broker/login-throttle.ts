/** What a `LoginThrottle` is handed; the defaults suit the embedded broker. */
export interface LoginThrottleOptions {
  /** Wait after the first wrong password, ms; it doubles with each further one. Default 250. */
  baseDelayMs?: number;
  /** The longest wait, ms. Default 16 000 (below MQTT.js's 30 s connect timeout). */
  maxDelayMs?: number;
  /** Attempts of one source waiting at once; more are refused unchecked. Default 16. */
  maxWaiting?: number;
  /** A source without a wrong password for this long is forgotten, ms. Default 10 min. */
  forgetAfterMs?: number;
  /** Sources remembered at most; the oldest is forgotten first. Default 10 000. */
  maxSources?: number;
  /** Milliseconds since some epoch (tests pass their own). */
  now?: () => number;
}

interface SourceState {
  /** Wrong passwords in a row. */
  failures: number;
  /** When the next attempt of this source may be checked (ms, `now()`'s scale). */
  nextAt: number;
  /** Attempts waiting for their turn. */
  waiting: number;
  lastFailureAt: number;
}

/** An attempt's turn: wait `delayMs`, then check; or refused unchecked (too many waiting). */
export type LoginTurn = { kind: 'check'; delayMs: number; queued: boolean } | { kind: 'refuse' };

/**
 * Slows wrong passwords down per source address, exponentially: after n wrong passwords in a row the
 * next attempt from that address is checked only `baseDelayMs · 2^(n-1)` (at most `maxDelayMs`) after
 * the one before, and attempts arriving meanwhile queue behind each other — opening many connections at
 * once buys a guesser nothing. A right password ends the slowdown for that address. Pure bookkeeping:
 * the caller waits and checks (time comes in through `now`).
 */
export class LoginThrottle {
  private readonly sources = new Map<string, SourceState>();
  private readonly base: number;
  private readonly max: number;
  private readonly maxWaiting: number;
  private readonly forgetAfter: number;
  private readonly maxSources: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.base = options.baseDelayMs ?? 250;
    this.max = options.maxDelayMs ?? 16_000;
    this.maxWaiting = options.maxWaiting ?? 16;
    this.forgetAfter = options.forgetAfterMs ?? 10 * 60_000;
    this.maxSources = options.maxSources ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** An attempt from `source` arrives: when it may be checked. Call `settled` once it was. */
  arrive(source: string): LoginTurn {
    const state = this.current(source);
    if (state === undefined) return { kind: 'check', delayMs: 0, queued: false };
    if (state.waiting >= this.maxWaiting) return { kind: 'refuse' };
    const now = this.now();
    const at = Math.max(now, state.nextAt);
    // The attempt after this one waits behind it, as if this one were wrong too.
    state.nextAt = at + this.delay(state.failures);
    state.waiting++;
    return { kind: 'check', delayMs: at - now, queued: true };
  }

  /**
   * The attempt from `source` was checked: `ok` whether its password was right; `queued` as its turn
   * said.
   */
  settled(source: string, ok: boolean, queued: boolean): void {
    const state = this.sources.get(source);
    if (state !== undefined && queued) state.waiting = Math.max(0, state.waiting - 1);
    if (ok) {
      if (state !== undefined && state.waiting === 0) this.sources.delete(source);
      else if (state !== undefined) state.failures = 0;
      return;
    }
    const now = this.now();
    if (state === undefined) {
      if (this.sources.size >= this.maxSources) {
        const oldest = this.sources.keys().next();
        if (!oldest.done) this.sources.delete(oldest.value);
      }
      this.sources.set(source, { failures: 1, nextAt: now + this.delay(1), waiting: 0, lastFailureAt: now });
      return;
    }
    state.failures++;
    state.lastFailureAt = now;
    state.nextAt = Math.max(state.nextAt, now + this.delay(state.failures));
  }

  /** Wrong passwords in a row from `source` (0 when none, or forgotten). */
  failures(source: string): number {
    return this.current(source)?.failures ?? 0;
  }

  private current(source: string): SourceState | undefined {
    const state = this.sources.get(source);
    if (state === undefined) return undefined;
    if (state.waiting === 0 && this.now() - state.lastFailureAt > this.forgetAfter) {
      this.sources.delete(source);
      return undefined;
    }
    return state;
  }

  private delay(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.max, this.base * 2 ** Math.min(failures - 1, 30));
  }
}
