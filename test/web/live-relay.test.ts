import { expect } from 'chai';
import type { RealmApp } from '../../lib/config/settings.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { LiveFeed } from '../../lib/web/live-feed.js';
import { LiveRelay } from '../../lib/web/live-relay.js';

const app = { realm: 'r', mqtt_topics: ['r/#'] } as unknown as RealmApp;

describe('LiveRelay', () => {
  it('leaves a realm that is not shared alone: no broker connection, stored readings shown as before', () => {
    const feed = new LiveFeed();
    const relay = new LiveRelay({ feed, timezone: 'UTC', log: silentLog(), shared: () => false });
    let ready = false;
    const unwatch = relay.watch(app, () => {
      ready = true;
    });
    expect(relay.realms).to.deep.equal([]);
    const got: unknown[] = [];
    feed.subscribe(
      'db',
      'm',
      (r) => got.push(...r),
      () => {},
    );
    const points: Point[] = [{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1_000_000n }];
    relay.fromShare('r', points);
    feed.publish('db', points);
    expect(got).to.have.length(1);
    expect(ready).to.equal(false);
    unwatch();
  });

  it('follows a shared realm while watched, and lets go with the last page', async () => {
    const feed = new LiveFeed();
    // Port 9 (discard): nothing answers; the relay keeps trying without ever becoming active.
    const shared = {
      ...app,
      mqtt: { host: '127.0.0.1', port: 9, protocol: 'mqtt', client_id: 't', keepalive: 60 },
    };
    const relay = new LiveRelay({ feed, timezone: 'UTC', log: silentLog(), shared: () => true });
    const first = relay.watch(shared as unknown as RealmApp);
    const second = relay.watch(shared as unknown as RealmApp);
    expect(relay.realms).to.deep.equal(['r']);
    // Not subscribed: a batch of the realm's share is still shown once stored.
    const points: Point[] = [{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1_000_000n }];
    const got: unknown[] = [];
    feed.subscribe(
      'db',
      'm',
      (r) => got.push(...r),
      () => {},
    );
    relay.fromShare('r', points);
    feed.publish('db', points);
    expect(got).to.have.length(1);
    first();
    first();
    expect(relay.realms).to.deep.equal(['r']);
    second();
    expect(relay.realms).to.deep.equal([]);
    await relay.close();
    expect(relay.watch(shared as unknown as RealmApp)).to.be.a('function');
    expect(relay.realms).to.deep.equal([]);
  });
});
