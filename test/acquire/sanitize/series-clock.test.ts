import { expect } from 'chai';
import { SeriesClock } from '../../../lib/acquire/sanitize/series-clock.js';
import { seriesClockCases } from './series-clock.fixtures.js';

describe('SeriesClock', () => {
  for (const c of seriesClockCases) {
    it(c.name, () => {
      const clock = new SeriesClock({ maxKeys: c.maxKeys });
      const stamps = c.steps.map(([key, receivedAt]) => clock.stamp(key, receivedAt));
      expect(stamps).to.deep.equal(c.steps.map(([, , expected]) => expected));
    });
  }

  it('remembers at most maxKeys series', () => {
    const clock = new SeriesClock({ maxKeys: 100 });
    for (let i = 0; i < 1000; i++) clock.stamp(`node-${i}`, 1000n);
    expect(clock.size).to.equal(100);
  });

  it('stamps as a least-recently-used map of last stamps would, over a random mix of series', () => {
    // Reference: the plain model the clock stands for (a Map re-inserted on each stamp).
    const maxKeys = 7;
    const clock = new SeriesClock({ maxKeys });
    const model = new Map<string, bigint>();
    let seed = 12345;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 5000; i++) {
      const key = `s${random(12)}`;
      const receivedAt = 1000n + BigInt(random(50));
      const previous = model.get(key);
      const expected = previous !== undefined && previous >= receivedAt ? previous + 1n : receivedAt;
      model.delete(key);
      model.set(key, expected);
      if (model.size > maxKeys) model.delete(model.keys().next().value!);
      expect(clock.stamp(key, receivedAt), `step ${i} (${key})`).to.equal(expected);
      expect(clock.size).to.equal(model.size);
    }
  });

  it('keeps a busy series while many others come and go', () => {
    const clock = new SeriesClock({ maxKeys: 10 });
    let last = 0n;
    for (let i = 0; i < 1000; i++) {
      last = clock.stamp('busy', 1000n);
      clock.stamp(`other-${i}`, 1000n);
    }
    expect(last).to.equal(1999n);
    expect(clock.size).to.equal(10);
  });

  it('gives a burst within one receive time strictly increasing stamps', () => {
    const clock = new SeriesClock();
    const stamps = Array.from({ length: 1000 }, () => clock.stamp('db\u0000m', 1_700_000_000_000_000_000n));
    expect(new Set(stamps).size).to.equal(1000);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).to.equal(true);
  });
});
