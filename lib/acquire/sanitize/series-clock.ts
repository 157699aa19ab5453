/** Options of a `SeriesClock`. */
export interface SeriesClockOptions {
  /** Series remembered at most; the least recently stamped one is forgotten first. Default 10000. */
  maxKeys?: number | undefined;
}

const DEFAULT_MAX_KEYS = 10_000;

/** A remembered series: its last stamp, in a list from least to most recently stamped. */
interface SeriesEntry {
  readonly key: string;
  last: bigint;
  older: SeriesEntry | undefined;
  newer: SeriesEntry | undefined;
}

/**
 * Makes receive-time stamps strictly increasing per series, so two readings of one node that
 * arrive in the same clock tick are two points, not one overwritten by the other (InfluxDB keeps
 * one point per series and time).
 *
 * Memory is bounded: at most `maxKeys` series are remembered, least recently stamped first out.
 * A forgotten series starts afresh from its next receive time; by then its last stamp lies far
 * behind, unless the system clock jumped back. No clock and no I/O inside: time comes in as a
 * parameter.
 *
 * The order of use is a linked list through the entries, so stamping a known series changes no
 * Map (deleting and setting a key on every stamp, with many series, made V8 rebuild the Map's table
 * again and again).
 */
export class SeriesClock {
  private readonly maxKeys: number;
  private readonly entries = new Map<string, SeriesEntry>();
  /** Least and most recently stamped series. */
  private oldest: SeriesEntry | undefined;
  private newest: SeriesEntry | undefined;

  constructor(options: SeriesClockOptions = {}) {
    this.maxKeys = Math.max(1, Math.floor(options.maxKeys ?? DEFAULT_MAX_KEYS));
  }

  /** A stamp for `seriesKey`: `max(receivedAt, last + 1)`, strictly above the one before. */
  stamp(seriesKey: string, receivedAt: bigint): bigint {
    const entry = this.entries.get(seriesKey);
    if (entry === undefined) {
      this.remember(seriesKey, receivedAt);
      return receivedAt;
    }
    const stamp = entry.last >= receivedAt ? entry.last + 1n : receivedAt;
    entry.last = stamp;
    if (entry !== this.newest) {
      this.unlink(entry);
      this.append(entry);
    }
    return stamp;
  }

  /** Series currently remembered. */
  get size(): number {
    return this.entries.size;
  }

  private remember(key: string, stamp: bigint): void {
    const entry: SeriesEntry = { key, last: stamp, older: undefined, newer: undefined };
    this.entries.set(key, entry);
    this.append(entry);
    if (this.entries.size > this.maxKeys) {
      const oldest = this.oldest;
      if (oldest !== undefined) {
        this.unlink(oldest);
        this.entries.delete(oldest.key);
      }
    }
  }

  private append(entry: SeriesEntry): void {
    entry.older = this.newest;
    entry.newer = undefined;
    if (this.newest === undefined) this.oldest = entry;
    else this.newest.newer = entry;
    this.newest = entry;
  }

  private unlink(entry: SeriesEntry): void {
    if (entry.older === undefined) this.oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.newest = entry.older;
    else entry.newer.older = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }
}
