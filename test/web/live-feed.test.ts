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
});
