import type { Point } from '../core/point.js';

/** A stored reading as the web view's live stream sends it. */
export interface LiveReading {
  /** Milliseconds since the epoch (what a browser's charts take). */
  time: number;
  /** Field values; integers as numbers (bigints beyond 2^53 lose digits here, which a chart cannot show anyway). */
  fields: Record<string, number | string | boolean>;
}

type Listener = (readings: readonly LiveReading[]) => void;

/**
 * Hands readings to the web pages watching their node, as they are stored. The batcher calls `publish`
 * with every stored batch; a page's stream subscribes to one database and measurement. Nothing is kept:
 * a page that is not open misses nothing it could not read from the store.
 */
export class LiveFeed {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly closers = new Set<() => void>();
  /**
   * Points shown from the broker already (`LiveRelay`): their stored copy is passed over. Points, not
   * arrays: the batcher reports a whole batch at once, in which readings of this instance's share
   * stand beside others.
   */
  private readonly fromBroker = new WeakSet<Point>();
  /**
   * Nodes followed in the store too (`StoreFollow`): the times (ns) of the readings sent to their pages
   * lately, so a reading is sent once, whether it comes from this instance's writes or from the store.
   */
  private readonly tracked = new Map<string, { times: Set<bigint>; users: number }>();
  private closed = false;

  /** Number of open subscriptions (for tests and /health). */
  get size(): number {
    return this.closers.size;
  }

  /**
   * Calls `listener` with the readings stored in `database`.`measurement` from now on; `onClose` when the
   * feed closes (daqd stops). Returns the unsubscribe function.
   */
  subscribe(database: string, measurement: string, listener: Listener, onClose: () => void): () => void {
    if (this.closed) {
      onClose();
      return () => {};
    }
    const key = liveKey(database, measurement);
    let set = this.listeners.get(key);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    this.closers.add(onClose);
    return () => {
      this.closers.delete(onClose);
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(key);
    };
  }

  /** Points of `database` stored just now. Never throws: a failing listener loses only its own reading. */
  publish(database: string, points: readonly Point[]): void {
    if (this.listeners.size === 0) return;
    this.send(database, points, this.fromBroker);
  }

  /**
   * Points of `database` as the broker relayed them (`LiveRelay`): taken by this instance or another
   * one, not necessarily stored yet. Never throws.
   */
  publishFromBroker(database: string, points: readonly Point[]): void {
    if (this.listeners.size === 0) return;
    this.send(database, points, undefined);
  }

  /**
   * Marks points (the very objects later handed to `publish`) as shown from the broker already, so
   * `publish` passes over them. Held weakly: a point that is never stored leaves nothing.
   */
  shownFromBroker(points: readonly Point[]): void {
    for (const point of points) this.fromBroker.add(point);
  }

  /**
   * Keeps the times of the readings sent for `database`.`measurement` from now on, until the returned
   * function is called (as often as this was): `publishFromStore` then sends only readings not sent yet.
   */
  track(database: string, measurement: string): () => void {
    const key = liveKey(database, measurement);
    let entry = this.tracked.get(key);
    if (entry === undefined) {
      entry = { times: new Set(), users: 0 };
      this.tracked.set(key, entry);
    }
    const tracked = entry;
    tracked.users++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--tracked.users === 0 && this.tracked.get(key) === tracked) this.tracked.delete(key);
    };
  }

  /**
   * Readings of `database`.`measurement` read back from the store (`StoreFollow`): those not sent to
   * its pages yet go now, oldest first. With `prime`, none is sent; they only count as sent (what the
   * page loaded already). Times before `since` (ns) are forgotten: no look into the store reaches back
   * that far any more. Never throws.
   */
  publishFromStore(
    database: string,
    measurement: string,
    readings: readonly { time: bigint; fields: LiveReading['fields'] }[],
    since: bigint,
    prime: boolean,
  ): void {
    const key = liveKey(database, measurement);
    const tracked = this.tracked.get(key);
    if (tracked === undefined) return;
    const fresh: LiveReading[] = [];
    for (const reading of readings) {
      if (tracked.times.has(reading.time)) continue;
      tracked.times.add(reading.time);
      if (!prime) fresh.push({ time: Number(reading.time / 1_000_000n), fields: reading.fields });
    }
    for (const time of tracked.times) if (time < since) tracked.times.delete(time);
    if (fresh.length > 0) this.deliver(key, fresh);
  }

  private send(database: string, points: readonly Point[], skip: WeakSet<Point> | undefined): void {
    const byMeasurement = new Map<string, LiveReading[]>();
    for (const point of points) {
      const key = liveKey(database, point.measurement);
      if (!this.listeners.has(key) || skip?.has(point)) continue;
      const tracked = this.tracked.get(key);
      if (tracked !== undefined) {
        if (tracked.times.has(point.time)) continue;
        tracked.times.add(point.time);
      }
      let list = byMeasurement.get(key);
      if (list === undefined) {
        list = [];
        byMeasurement.set(key, list);
      }
      list.push(toReading(point));
    }
    for (const [key, readings] of byMeasurement) this.deliver(key, readings);
  }

  private deliver(key: string, readings: readonly LiveReading[]): void {
    for (const listener of this.listeners.get(key) ?? []) {
      try {
        listener(readings);
      } catch {
        // A page whose connection broke mid-write; its stream's close handler unsubscribes it.
      }
    }
  }

  /** Ends every subscription (their `onClose`), and any made later at once. Idempotent. */
  close(): void {
    this.closed = true;
    const closers = [...this.closers];
    this.closers.clear();
    this.listeners.clear();
    this.tracked.clear();
    for (const close of closers) close();
  }
}

/** One node's key in the feed (and in `StoreFollow`): its database and measurement. */
export function liveKey(database: string, measurement: string): string {
  return `${database}\u0000${measurement}`;
}

function toReading(point: Point): LiveReading {
  const fields: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(point.fields)) {
    fields[name] = typeof value === 'bigint' ? Number(value) : value;
  }
  return { time: Number(point.time / 1_000_000n), fields };
}
