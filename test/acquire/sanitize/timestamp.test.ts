import { expect } from 'chai';
import { parseTimestamp } from '../../../lib/acquire/sanitize/timestamp.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { timestampCases } from './timestamp.fixtures.js';

describe('parseTimestamp', () => {
  for (const c of timestampCases) {
    it(c.name, () => {
      const timezone = c.timezone ?? 'UTC';
      if (c.error) {
        expect(() => parseTimestamp(c.value, timezone))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
      } else {
        expect(parseTimestamp(c.value, timezone)).to.equal(c.expected);
      }
    });
  }

  it('reads one zone-less string as different instants in different zones', () => {
    const berlin = parseTimestamp('2020-01-15 12:00:00', 'Europe/Berlin');
    const newYork = parseTimestamp('2020-01-15 12:00:00', 'America/New_York');
    expect(newYork - berlin).to.equal(6n * 3600n * 1_000_000_000n);
  });
});
