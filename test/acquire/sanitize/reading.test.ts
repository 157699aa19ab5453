import { expect } from 'chai';
import { readingToPoint } from '../../../lib/acquire/sanitize/reading.js';
import { DEFAULT_TAG_FIELDS } from '../../../lib/config/settings.js';
import { DecodeError } from '../../../lib/core/errors.js';
import { MEASUREMENT, RECEIVED_AT, readingCases } from './reading.fixtures.js';

describe('readingToPoint', () => {
  for (const c of readingCases) {
    it(c.name, () => {
      const options = {
        measurement: MEASUREMENT,
        tagFields: c.tagFields ?? DEFAULT_TAG_FIELDS,
        timezone: c.timezone ?? 'UTC',
        receivedAt: RECEIVED_AT,
        kind: c.kind ?? 'data',
      };
      if (c.error) {
        expect(() => readingToPoint(c.reading, options))
          .to.throw(DecodeError)
          .with.property('message')
          .that.matches(c.error);
        return;
      }
      const result = readingToPoint(c.reading, options);
      expect(result).to.deep.equal({
        point: {
          measurement: MEASUREMENT,
          tags: c.tags ?? {},
          fields: c.fields,
          time: c.time ?? RECEIVED_AT,
        },
        timeFromPayload: c.time !== undefined,
      });
    });
  }

  it('leaves the reading unchanged', () => {
    const reading = { time: '2020-03-10T03:29:42Z', a: '1', nested: { b: 2 }, location: 'x' };
    const copy = structuredClone(reading);
    readingToPoint(reading, {
      measurement: MEASUREMENT,
      tagFields: DEFAULT_TAG_FIELDS,
      timezone: 'UTC',
      receivedAt: RECEIVED_AT,
      kind: 'data',
    });
    expect(reading).to.deep.equal(copy);
  });

  it('refuses nesting deeper than 32 levels', () => {
    let reading: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 40; i++) reading = { n: reading };
    expect(() =>
      readingToPoint(reading, {
        measurement: MEASUREMENT,
        tagFields: [],
        timezone: 'UTC',
        receivedAt: RECEIVED_AT,
        kind: 'data',
      }),
    ).to.throw(DecodeError, /nested deeper than 32 levels/);
  });
});
