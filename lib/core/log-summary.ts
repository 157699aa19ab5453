import type { Log } from './log.js';

/** Everything a `LogSummary` needs. */
export interface LogSummaryContext {
  log: Log;
  /** Length of one summary period, ms (default 10 s). */
  intervalMs?: number;
}

type Level = 'error' | 'warning' | 'notice';

interface Kind {
  level: Level;
  /** What the summary line says the repeats were, e.g. `http: 503 GET /api/hiverize/…`. */
  what: string;
  /** Repeats since the last line. */
  count: number;
  timer: NodeJS.Timeout;
}

const DEFAULT_INTERVAL_MS = 10_000;

/**
 * Logs the first event of a kind at once and its repeats as one count per period, so a failure that
 * hits every message or request (a store down, daqd still starting) gives a few lines, not one per
 * event. A kind that stayed quiet for a whole period is forgotten: its next event is logged in full
 * again. Hand-written: npm has no well-kept winston add-on for this (the few throttling packages drop
 * repeats or wrap `console.log`), and the count of what was not logged is what an operator needs.
 */
export class LogSummary {
  private readonly kinds = new Map<string, Kind>();
  private readonly intervalMs: number;

  constructor(private readonly ctx: LogSummaryContext) {
    this.intervalMs = ctx.intervalMs ?? DEFAULT_INTERVAL_MS;
  }

  /**
   * One event of `kind`: logs `line` when it is the first of its kind in this period, else counts it
   * under `what` for the period's summary line.
   */
  report(kind: string, level: Level, line: string, what: string): void {
    const known = this.kinds.get(kind);
    if (known !== undefined) {
      known.count++;
      return;
    }
    this.ctx.log[level](line);
    const entry: Kind = { level, what, count: 0, timer: this.arm(kind) };
    this.kinds.set(kind, entry);
  }

  /** Logs the counts not yet logged and forgets every kind (on stop). */
  flush(): void {
    for (const [kind, entry] of this.kinds) {
      clearTimeout(entry.timer);
      this.summarise(entry);
      this.kinds.delete(kind);
    }
  }

  private arm(kind: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const entry = this.kinds.get(kind);
      if (entry === undefined) return;
      if (entry.count === 0) {
        this.kinds.delete(kind);
        return;
      }
      this.summarise(entry);
      entry.count = 0;
      entry.timer = this.arm(kind);
    }, this.intervalMs);
    // A summary still to come must not keep the process alive.
    timer.unref();
    return timer;
  }

  private summarise(entry: Kind): void {
    if (entry.count === 0) return;
    this.ctx.log[entry.level](
      `${entry.what}: ${entry.count} more in the last ${(this.intervalMs / 1000).toFixed(0)} s`,
    );
  }
}
