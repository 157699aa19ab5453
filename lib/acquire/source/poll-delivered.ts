import type { Point } from '../../core/point.js';

/** A series of a database: measurement and tags, as one key. */
function seriesKey(database: string, point: Point): string {
  const tags = Object.keys(point.tags)
    .sort()
    .map((name) => `${name}=${point.tags[name]}`)
    .join(',');
  return `${database}\u0000${point.measurement}\u0000${tags}`;
}

/**
 * What a polling source has delivered, per URL: the newest time stored of every series that URL's
 * readings went to. A node's log grows at its end and is served whole every round; only readings newer
 * than what is stored of their series are sent on, so a line is stored once (the same node and
 * timestamp are the same point anyway; this spares the store the whole log every quarter hour).
 * A series' mark moves only once its points are stored or spooled (`mark`), and the marks are kept in
 * the realm's poll state file, so a restart does not send the log again.
 *
 * A node whose clock went back (readings older than what is stored) has those readings left out until
 * its clock passes the mark again; readings without their own time get the receive time, are always
 * new, and are stored again every round.
 */
export class PollDelivered {
  private readonly byUrl = new Map<string, Map<string, bigint>>();

  /** The points of `url` for `database` not stored yet (newer than their series' mark). */
  fresh(url: string, database: string, points: readonly Point[]): Point[] {
    const marks = this.byUrl.get(url);
    if (marks === undefined) return [...points];
    return points.filter((point) => {
      const mark = marks.get(seriesKey(database, point));
      return mark === undefined || point.time > mark;
    });
  }

  /** Points of `url` now stored in `database`: their series' marks move up to the newest of them. */
  mark(url: string, database: string, points: readonly Point[]): void {
    let marks = this.byUrl.get(url);
    if (marks === undefined) {
      marks = new Map();
      this.byUrl.set(url, marks);
    }
    for (const point of points) {
      const key = seriesKey(database, point);
      const mark = marks.get(key);
      if (mark === undefined || point.time > mark) marks.set(key, point.time);
    }
  }

  /** Keeps only the URLs still polled. */
  retain(urls: ReadonlySet<string>): void {
    for (const url of this.byUrl.keys()) if (!urls.has(url)) this.byUrl.delete(url);
  }

  /** Marks as JSON: URL → series key → newest time (nanoseconds, as a decimal string). */
  toJSON(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [url, marks] of this.byUrl) {
      out[url] = Object.fromEntries([...marks].map(([key, time]) => [key, time.toString()]));
    }
    return out;
  }

  /** Restores what `toJSON` gave; entries of another shape are left out. */
  static fromJSON(value: unknown): PollDelivered {
    const delivered = new PollDelivered();
    if (typeof value !== 'object' || value === null) return delivered;
    for (const [url, marks] of Object.entries(value as Record<string, unknown>)) {
      if (typeof marks !== 'object' || marks === null) continue;
      const map = new Map<string, bigint>();
      for (const [key, time] of Object.entries(marks as Record<string, unknown>)) {
        if (typeof time === 'string' && /^-?\d+$/.test(time)) map.set(key, BigInt(time));
      }
      delivered.byUrl.set(url, map);
    }
    return delivered;
  }
}
