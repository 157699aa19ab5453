/** Options of a `SeriesClock`. */
export interface SeriesClockOptions {
  /** Series remembered at most; the least recently stamped one is forgotten first. Default 10000. */
  maxKeys?: number | undefined;
}

const DEFAULT_MAX_KEYS = 10_000;

/**
 * Makes receive-time stamps strictly increasing per series, so two readings of one node that
 * arrive in the same clock tick are two points, not one overwritten by the other (InfluxDB keeps
 * one point per series and time).
 *
 * Memory is bounded: at most `maxKeys` series are remembered, least recently stamped first out
 * (a Map in insertion order, re-inserted on each stamp). A forgotten series starts afresh from its
 * next receive time; by then its last stamp lies far behind, unless the system clock jumped back.
 * No clock and no I/O inside: time comes in as a parameter.
 */
export class SeriesClock {
  private readonly maxKeys: number;
  private readonly last = new Map<string, bigint>();

  constructor(options: SeriesClockOptions = {}) {
    this.maxKeys = Math.max(1, Math.floor(options.maxKeys ?? DEFAULT_MAX_KEYS));
  }

  /** A stamp for `seriesKey`: `max(receivedAt, last + 1)`, strictly above the one before. */
  stamp(seriesKey: string, receivedAt: bigint): bigint {
    const previous = this.last.get(seriesKey);
    const stamp = previous !== undefined && previous >= receivedAt ? previous + 1n : receivedAt;
    // Delete before set so the key moves to the end of the Map's order: most recently used.
    this.last.delete(seriesKey);
    this.last.set(seriesKey, stamp);
    if (this.last.size > this.maxKeys) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    return stamp;
  }

  /** Series currently remembered. */
  get size(): number {
    return this.last.size;
  }
}
