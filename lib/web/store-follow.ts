import type { Cell, Sink } from '../acquire/sink/sink.js';
import { nowNs } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { type LiveFeed, type LiveReading, liveKey } from './live-feed.js';

/** Everything a `StoreFollow` needs. */
export interface StoreFollowContext {
  feed: LiveFeed;
  /** The store, once it is up. */
  sink: () => Sink | undefined;
  /** Milliseconds between looks into the store for each watched node. */
  intervalMs: number;
  log: Log;
}

/** How far back each look reaches: readings stored this much after their time are still shown. */
const MIN_LOOKBACK_MS = 30_000;
/** Rows one look reads at most (the newest): a node sending faster shows a part of its readings live. */
const MAX_ROWS = 5_000;

interface Watched {
  /** `liveKey` of the node. */
  key: string;
  database: string;
  measurement: string;
  viewers: number;
  timer: NodeJS.Timeout | undefined;
  /** False until the first look: what it finds was loaded by the page already. */
  primed: boolean;
  untrack: () => void;
}

/**
 * The web view's live stream from the store's side. A reading that reaches another daqd instance
 * (over HTTP behind a load balancer, or through its share of a shared subscription), or that another
 * program writes into the same InfluxDB, never passes this instance's batcher. While at least one page
 * watches a node, the node's measurement is read back every `intervalMs` over the last
 * `max(30 s, 10 intervals)`, and the readings not sent to the page yet go to it through the `LiveFeed`
 * (which knows, per node, the times it has sent, so a reading this instance stored itself is sent once).
 * The first look only marks what it finds as sent: the page has loaded it already.
 * One query per watched node and interval, only while it is watched; a failing store is logged once
 * until a look succeeds again.
 */
export class StoreFollow {
  private readonly watched = new Map<string, Watched>();
  private failing: string | undefined;
  private closed = false;

  constructor(private readonly ctx: StoreFollowContext) {}

  /** Nodes followed now, as `database/measurement` (for /health). */
  get nodes(): string[] {
    return [...this.watched.values()].map((w) => `${w.database}/${w.measurement}`);
  }

  /** A page watches `database`.`measurement`: it is followed until every returned function was called. */
  watch(database: string, measurement: string): () => void {
    if (this.closed) return () => {};
    const key = liveKey(database, measurement);
    let entry = this.watched.get(key);
    if (entry === undefined) {
      entry = {
        key,
        database,
        measurement,
        viewers: 0,
        timer: undefined,
        primed: false,
        untrack: this.ctx.feed.track(database, measurement),
      };
      this.watched.set(key, entry);
      this.schedule(entry, 0);
    }
    const watched = entry;
    watched.viewers++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--watched.viewers > 0 || this.watched.get(key) !== watched) return;
      this.watched.delete(key);
      this.end(watched);
    };
  }

  /** Stops every look, and refuses later watches. Idempotent. */
  close(): void {
    this.closed = true;
    for (const watched of this.watched.values()) this.end(watched);
    this.watched.clear();
  }

  private end(watched: Watched): void {
    clearTimeout(watched.timer);
    watched.timer = undefined;
    watched.untrack();
  }

  private schedule(watched: Watched, delay: number): void {
    watched.timer = setTimeout(() => {
      watched.timer = undefined;
      void this.look(watched).finally(() => {
        if (this.watched.get(watched.key) === watched && !this.closed) {
          this.schedule(watched, this.ctx.intervalMs);
        }
      });
    }, delay);
    watched.timer.unref();
  }

  /** One look into the store for the node's recent readings. */
  private async look(watched: Watched): Promise<void> {
    const sink = this.ctx.sink();
    if (sink === undefined) return;
    const lookback = BigInt(Math.max(MIN_LOOKBACK_MS, 10 * this.ctx.intervalMs)) * 1_000_000n;
    const now = nowNs();
    const since = now - lookback;
    const readings: { time: bigint; fields: LiveReading['fields'] }[] = [];
    try {
      const result = await sink.query({
        database: watched.database,
        measurement: watched.measurement,
        from: since,
        // A node whose clock runs a little ahead is still shown.
        to: now + lookback,
        order: 'desc',
        limit: MAX_ROWS,
      });
      for await (const [time, ...cells] of result.rows) {
        readings.push({ time, fields: fieldsOf(result.columns, cells) });
      }
    } catch (err) {
      const why = errorMessage(err);
      if (this.failing === undefined) {
        this.ctx.log.warning(
          `live view: reading '${watched.database}' back from the store failed: ${why}; ` +
            'readings of other instances are not shown until it works again',
        );
      }
      this.failing = why;
      return;
    }
    if (this.failing !== undefined) {
      this.ctx.log.notice('live view: reading back from the store works again');
      this.failing = undefined;
    }
    if (this.watched.get(watched.key) !== watched) return;
    readings.reverse();
    this.ctx.feed.publishFromStore(watched.database, watched.measurement, readings, since, !watched.primed);
    watched.primed = true;
  }
}

/** A row's cells as a reading's fields, empty cells left out. */
function fieldsOf(columns: readonly string[], cells: readonly Cell[]): LiveReading['fields'] {
  const fields: LiveReading['fields'] = {};
  columns.forEach((name, i) => {
    const cell = cells[i];
    if (cell !== null && cell !== undefined) fields[name] = cell;
  });
  return fields;
}
