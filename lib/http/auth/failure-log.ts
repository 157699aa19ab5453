import type { Log } from '../../core/log.js';

/** One line per source per this many ms at most. */
const PERIOD_MS = 60_000;
/** Sources remembered at most (a scan from many addresses must not grow the map without bound). */
const MAX_SOURCES = 10_000;

interface Source {
  /** When the last line for this source was written. */
  loggedAt: number;
  /** Failures since then that were not logged. */
  quiet: number;
}

/**
 * Logs refused requests (401, 403) at most once per source address per minute, with the count of the
 * refusals in between, so a client retrying with a wrong password (or a scan) gives a line a minute.
 * The lines name the user and what was refused, never a secret.
 */
export class FailureLog {
  private readonly sources = new Map<string, Source>();

  constructor(
    private readonly log: Log,
    private readonly now: () => number = Date.now,
  ) {}

  /** One refusal from `source`; `line` says what (without any secret). */
  report(source: string, line: string): void {
    const at = this.now();
    const known = this.sources.get(source);
    if (known !== undefined && at - known.loggedAt < PERIOD_MS) {
      known.quiet++;
      return;
    }
    const more =
      known !== undefined && known.quiet > 0 ? ` (and ${known.quiet} more refusals in the last minute)` : '';
    this.log.warning(`http: refused ${source}: ${line}${more}`);
    this.sources.delete(source);
    this.sources.set(source, { loggedAt: at, quiet: 0 });
    if (this.sources.size > MAX_SOURCES) this.prune(at);
  }

  /** Forgets sources quiet for a period; past the bound, the oldest. */
  private prune(at: number): void {
    for (const [source, entry] of this.sources) {
      if (this.sources.size <= MAX_SOURCES / 2) break;
      if (at - entry.loggedAt >= PERIOD_MS || this.sources.size > MAX_SOURCES) this.sources.delete(source);
    }
  }
}
