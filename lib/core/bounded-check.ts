/** What a `BoundedCheck` found: the check's answer, or that it has not answered within the bound. */
export type BoundedCheckResult<T> =
  | { state: 'answered'; value: T }
  | { state: 'slow' /** How long the check has been running, ms. */; pendingMs: number };

/** Everything a `BoundedCheck` needs. */
export interface BoundedCheckContext<T> {
  /** The check itself, e.g. a ping of the store; may take long or hang. */
  run: () => Promise<T>;
  /** Longest wait for an answer, ms. */
  waitMs: number;
}

/**
 * A check (e.g. /health's ping of the store) that answers within `waitMs` whatever the checked part
 * does: a check still running then is reported as slow instead of holding the caller. At most one runs
 * at a time; callers that come while it runs wait for the same one, so a hung store does not collect a
 * ping per health request.
 */
export class BoundedCheck<T> {
  private running: { promise: Promise<T>; since: number } | undefined;

  constructor(private readonly ctx: BoundedCheckContext<T>) {}

  /** The check's answer, or `slow` after `waitMs`; rejects when the check rejects. */
  async result(): Promise<BoundedCheckResult<T>> {
    let running = this.running;
    if (running === undefined) {
      const current = { promise: this.ctx.run(), since: performance.now() };
      running = current;
      this.running = current;
      const done = () => {
        if (this.running === current) this.running = undefined;
      };
      current.promise.then(done, done);
    }
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.ctx.waitMs);
    });
    try {
      const answered = await Promise.race([running.promise.then((value) => ({ value })), slow]);
      if (answered !== undefined) return { state: 'answered', value: answered.value };
      return { state: 'slow', pendingMs: Math.round(performance.now() - running.since) };
    } finally {
      clearTimeout(timer);
    }
  }
}
