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

  it('gives a burst within one receive time strictly increasing stamps', () => {
    const clock = new SeriesClock();
    const stamps = Array.from({ length: 1000 }, () => clock.stamp('db\u0000m', 1_700_000_000_000_000_000n));
    expect(new Set(stamps).size).to.equal(1000);
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).to.equal(true);
  });
});
