import type { RealmApp } from '../config/settings.js';
import type { Log } from '../core/log.js';
import type { Point } from '../core/point.js';
import { BrokerRelay } from './broker-relay.js';
import type { LiveFeed } from './live-feed.js';

/** Everything a `LiveRelay` needs. */
export interface LiveRelayContext {
  feed: LiveFeed;
  timezone: string;
  log: Log;
  /**
   * True for a realm this instance reads through a shared subscription on an external broker: other
   * instances store part of its readings, so its live view comes from the broker.
   */
  shared: (app: RealmApp) => boolean;
}

interface Following {
  relay: BrokerRelay;
  viewers: number;
}

/**
 * The web view's live stream across daqd instances. A realm read through a shared subscription is
 * split over the instances, so what this instance stores is only part of a node's readings. While at
 * least one page watches a node of such a realm, a `BrokerRelay` follows the realm's topics on the
 * broker and hands every reading to the `LiveFeed`, whichever instance stores it; the last page gone,
 * it disconnects. The readings this instance takes through its share then reach the feed twice (from
 * the broker, and from the batcher once stored): the channel reports their points (`fromShare`) and the
 * feed passes over the stored copy. Readings that reach another instance over HTTP do not pass the
 * broker and are not seen here (docs/scaling.md); where the store is followed (`StoreFollow`, InfluxDB)
 * the web view uses that instead of this. Realms without a shared group are not touched.
 */
export class LiveRelay {
  private readonly following = new Map<string, Following>();
  private closed = false;

  constructor(private readonly ctx: LiveRelayContext) {}

  /** Realms followed on their broker now (for tests and /health). */
  get realms(): string[] {
    return [...this.following.keys()];
  }

  /**
   * A page watches a node of `app`'s realm: the realm is followed on its broker (if it is shared) until
   * the returned function has been called for every watch. `onReady` is called once the broker's copy
   * flows; never for a realm that is not shared.
   */
  watch(app: RealmApp, onReady?: () => void): () => void {
    if (this.closed || !this.ctx.shared(app)) return () => {};
    let entry = this.following.get(app.realm);
    if (entry === undefined) {
      const relay = new BrokerRelay({
        app,
        timezone: this.ctx.timezone,
        onPoints: (database, points) => this.ctx.feed.publishFromBroker(database, points),
        log: this.ctx.log,
      });
      entry = { relay, viewers: 0 };
      this.following.set(app.realm, entry);
      void relay.start();
    }
    const following = entry;
    following.viewers++;
    if (onReady !== undefined) following.relay.onReady(onReady);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (onReady !== undefined) following.relay.offReady(onReady);
      following.viewers--;
      if (following.viewers === 0 && this.following.get(app.realm) === following) {
        this.following.delete(app.realm);
        void following.relay.stop();
      }
    };
  }

  /**
   * Points the realm's channel took through its share and is about to store. While the realm is
   * followed on the broker, the feed has them from there already, so their stored copy is not shown.
   */
  fromShare(realm: string, points: readonly Point[]): void {
    if (this.following.get(realm)?.relay.active === true) this.ctx.feed.shownFromBroker(points);
  }

  /** Stops following every realm, and refuses later watches. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    const relays = [...this.following.values()].map((entry) => entry.relay);
    this.following.clear();
    await Promise.all(relays.map((relay) => relay.stop()));
  }
}
