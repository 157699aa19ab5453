import { expect } from 'chai';
import type { Point } from '../../lib/core/point.js';
import { LiveFeed, type LiveReading } from '../../lib/web/live-feed.js';

function point(measurement: string, ms: number, fields: Point['fields']): Point {
  return { measurement, tags: {}, fields, time: BigInt(ms) * 1_000_000n };
}

describe('LiveFeed', () => {
  it("hands each subscriber only its node's readings, times in ms, integers as numbers", () => {
    const feed = new LiveFeed();
    const got: LiveReading[][] = [];
    const other: LiveReading[][] = [];
    feed.subscribe(
      'db',
      'gw_node_sensors',
      (r) => got.push([...r]),
      () => {},
    );
    feed.subscribe(
      'db2',
      'gw_node_sensors',
      (r) => other.push([...r]),
      () => {},
    );
    feed.publish('db', [
      point('gw_node_sensors', 1_700_000_000_123, { weight: 42.5, count: 7n, ok: true }),
      point('gw_other_sensors', 1_700_000_000_124, { weight: 1 }),
    ]);
    expect(got).to.deep.equal([[{ time: 1_700_000_000_123, fields: { weight: 42.5, count: 7, ok: true } }]]);
    expect(other).to.deep.equal([]);
  });

  it('unsubscribes, survives a listener that throws, and ends every stream on close', () => {
    const feed = new LiveFeed();
    let calls = 0;
    const closed: string[] = [];
    const off = feed.subscribe(
      'db',
      'm',
      () => calls++,
      () => closed.push('a'),
    );
    feed.subscribe(
      'db',
      'm',
      () => {
        throw new Error('connection gone');
      },
      () => closed.push('b'),
    );
    feed.publish('db', [point('m', 1, { v: 1 })]);
    off();
    feed.publish('db', [point('m', 2, { v: 2 })]);
    expect(calls).to.equal(1);
    expect(feed.size).to.equal(1);
    feed.close();
    expect(closed).to.deep.equal(['b']);
    feed.subscribe(
      'db',
      'm',
      () => calls++,
      () => closed.push('late'),
    );
    expect(closed).to.deep.equal(['b', 'late']);
    expect(feed.size).to.equal(0);
  });

  it('passes over stored readings shown from the broker already, and only those, within one batch', () => {
    const feed = new LiveFeed();
    const got: number[] = [];
    feed.subscribe(
      'db',
      'm',
      (r) => got.push(...r.map((x) => x.fields['seq'] as number)),
      () => {},
    );
    const relayed = [point('m', 1, { seq: 1 })];
    const local = [point('m', 2, { seq: 2 })];
    // The broker's copy of a reading this instance takes, then the reading of another instance.
    feed.publishFromBroker('db', [point('m', 1, { seq: 1 })]);
    feed.shownFromBroker(relayed);
    feed.publishFromBroker('db', [point('m', 3, { seq: 3 })]);
    // The batcher reports its batch as stored, the marked reading beside the other: only the other is new.
    feed.publish('db', [...relayed, ...local]);
    expect(got).to.deep.equal([1, 3, 2]);
  });

  it('sends a reading read back from the store only when it was not sent yet, and not on the first look', () => {
    const feed = new LiveFeed();
    const got: LiveReading[] = [];
    feed.subscribe(
      'db',
      'm',
      (r) => got.push(...r),
      () => {},
    );
    const untrack = feed.track('db', 'm');
    const ns = (ms: number) => BigInt(ms) * 1_000_000n;
    // The first look finds what the page loaded already: nothing is sent.
    feed.publishFromStore('db', 'm', [{ time: ns(1_000), fields: { v: 1 } }], ns(0), true);
    // This instance stores a reading: sent from its batch, and remembered.
    feed.publish('db', [point('m', 2_000, { v: 2 })]);
    // The next look finds it and one another instance stored: only that one is new.
    feed.publishFromStore(
      'db',
      'm',
      [
        { time: ns(1_000), fields: { v: 1 } },
        { time: ns(2_000), fields: { v: 2 } },
        { time: ns(2_500), fields: { v: 2.5, note: 'other' } },
      ],
      ns(0),
      false,
    );
    // And the batch of a reading the store showed first is not sent again.
    feed.publishFromStore('db', 'm', [{ time: ns(3_000), fields: { v: 3 } }], ns(0), false);
    feed.publish('db', [point('m', 3_000, { v: 3 }), point('m', 4_000, { v: 4 })]);
    expect(got).to.deep.equal([
      { time: 2_000, fields: { v: 2 } },
      { time: 2_500, fields: { v: 2.5, note: 'other' } },
      { time: 3_000, fields: { v: 3 } },
      { time: 4_000, fields: { v: 4 } },
    ]);
    // Times before `since` are forgotten: a look that no longer reaches them cannot repeat them.
    feed.publishFromStore('db', 'm', [], ns(3_500), false);
    feed.publishFromStore('db', 'm', [{ time: ns(1_000), fields: { v: 1 } }], ns(0), false);
    expect(got.map((r) => r.time)).to.deep.equal([2_000, 2_500, 3_000, 4_000, 1_000]);
    // Untracked, readings from the store go nowhere; the batch's go as before.
    untrack();
    feed.publishFromStore('db', 'm', [{ time: ns(5_000), fields: { v: 5 } }], ns(0), false);
    feed.publish('db', [point('m', 3_000, { v: 3 })]);
    expect(got.map((r) => r.time)).to.deep.equal([2_000, 2_500, 3_000, 4_000, 1_000, 3_000]);
  });
});
