import { expect } from 'chai';
import { QueryError } from '../../lib/core/errors.js';
import { parseTimeExpression, type TimeExpressionOptions } from '../../lib/core/time-expression.js';

/** `2026-11-22T10:30:00.123456789Z` → ns, using Date.parse for everything above the millisecond. */
function at(iso: string): bigint {
  const match = /^(.*?)(?:\.(\d{1,9}))?Z$/.exec(iso);
  if (!match) throw new Error(`bad fixture ${iso}`);
  const ms = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad fixture ${iso}`);
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

const NOW = at('2026-11-22T12:00:00.5Z');
const S = 1_000_000_000n;

type Case = [input: string, expected: bigint, options?: Partial<TimeExpressionOptions>];

const UTC: Partial<TimeExpressionOptions> = { timezone: 'UTC' };
const BERLIN: Partial<TimeExpressionOptions> = { timezone: 'Europe/Berlin' };
const TO = (zone: string): Partial<TimeExpressionOptions> => ({ timezone: zone, role: 'to' });

const cases: Record<string, Case[]> = {
  'ISO 8601 / RFC 3339 with an offset or Z': [
    ['2026-11-22T10:30:00Z', at('2026-11-22T10:30:00Z')],
    ['2026-11-22T10:30:00.123456789Z', at('2026-11-22T10:30:00.123456789Z')],
    ['2026-11-22T10:30:00.000000001Z', at('2026-11-22T10:30:00.000000001Z')],
    ['2026-11-22T10:30:00.1Z', at('2026-11-22T10:30:00.1Z')],
    ['2026-11-22T10:30:00,25Z', at('2026-11-22T10:30:00.25Z')],
    ['2026-11-22T10:30:00+01:00', at('2026-11-22T09:30:00Z')],
    ['2026-11-22T10:30:00.5-05:30', at('2026-11-22T16:00:00.5Z')],
    ['2026-11-22T10:30:00+0100', at('2026-11-22T09:30:00Z')],
    ['2026-11-22T10:30:00+01', at('2026-11-22T09:30:00Z')],
    ['2026-11-22 10:30:00Z', at('2026-11-22T10:30:00Z')],
    ['2026-11-22t10:30:00z', at('2026-11-22T10:30:00Z')],
    ['2026-11-22T10:30Z', at('2026-11-22T10:30:00Z')],
    // `+` turned into a space by URL form decoding.
    ['2026-11-22T10:30:00 01:00', at('2026-11-22T09:30:00Z')],
    // The offset wins over the configured zone.
    ['2026-07-15T12:00:00Z', at('2026-07-15T12:00:00Z'), BERLIN],
    ['  2026-11-22T10:30:00Z  ', at('2026-11-22T10:30:00Z')],
  ],
  'zone-less times in the configured zone (DST-correct)': [
    ['2026-01-15T12:00:00', at('2026-01-15T11:00:00Z'), BERLIN],
    ['2026-07-15T12:00:00', at('2026-07-15T10:00:00Z'), BERLIN],
    ['2026-07-15T12:00:00.000000001', at('2026-07-15T10:00:00.000000001Z'), BERLIN],
    ['2026-07-15T12:00', at('2026-07-15T10:00:00Z'), BERLIN],
    ['2026-07-04T09:00:00', at('2026-07-04T13:00:00Z'), { timezone: 'America/New_York' }],
    ['2026-01-04T09:00:00', at('2026-01-04T14:00:00Z'), { timezone: 'America/New_York' }],
    ['2026-07-15T12:00:00', at('2026-07-15T12:00:00Z'), UTC],
    // 02:30 does not exist on 2026-03-29 in Berlin: read with the winter offset, i.e. 03:30 CEST.
    ['2026-03-29T02:30:00', at('2026-03-29T01:30:00Z'), BERLIN],
    // 02:30 happens twice on 2026-10-25 in Berlin: the earlier one (CEST).
    ['2026-10-25T02:30:00', at('2026-10-25T00:30:00Z'), BERLIN],
    ['2026-10-25T03:30:00', at('2026-10-25T02:30:00Z'), BERLIN],
  ],
  'whole days: from = first instant, to = last nanosecond': [
    ['2026-11-22', at('2026-11-21T23:00:00Z'), BERLIN],
    ['2026-11-22', at('2026-11-22T22:59:59.999999999Z'), TO('Europe/Berlin')],
    ['2026-07-15', at('2026-07-14T22:00:00Z'), BERLIN],
    ['2026-07-15', at('2026-07-15T21:59:59.999999999Z'), TO('Europe/Berlin')],
    ['2026-11-22', at('2026-11-22T00:00:00Z'), UTC],
    ['2026-11-22', at('2026-11-22T23:59:59.999999999Z'), TO('UTC')],
    // A 23-hour day (spring forward) and a 25-hour day (fall back).
    ['2026-03-29', at('2026-03-28T23:00:00Z'), BERLIN],
    ['2026-03-29', at('2026-03-29T21:59:59.999999999Z'), TO('Europe/Berlin')],
    ['2026-10-25', at('2026-10-24T22:00:00Z'), BERLIN],
    ['2026-10-25', at('2026-10-25T22:59:59.999999999Z'), TO('Europe/Berlin')],
    ['2024-02-29', at('2024-02-29T23:59:59.999999999Z'), TO('UTC')],
    ['2026-12-31', at('2026-12-31T23:59:59.999999999Z'), TO('UTC')],
    ['20261122', at('2026-11-22T00:00:00Z'), UTC],
    ['20261122', at('2026-11-22T22:59:59.999999999Z'), TO('Europe/Berlin')],
    // A full date-time as `to` is that instant, not the end of its day.
    ['2026-11-22T10:30:00Z', at('2026-11-22T10:30:00Z'), TO('UTC')],
  ],
  'compact YYYYMMDDTHHmmss': [
    ['20261122T103000Z', at('2026-11-22T10:30:00Z'), BERLIN],
    ['20261122T103000', at('2026-11-22T09:30:00Z'), BERLIN],
    ['20260715T103000', at('2026-07-15T08:30:00Z'), BERLIN],
    ['20261122T103000', at('2026-11-22T10:30:00Z'), UTC],
    // With an offset, as Kotori's docs show (`from=20160626T124259+0200`); a URL's `+` arrives as a space.
    ['20160626T124259+0200', at('2016-06-26T10:42:59Z'), BERLIN],
    ['20160626T124259+02', at('2016-06-26T10:42:59Z'), UTC],
    ['20160626T124259+02:00', at('2016-06-26T10:42:59Z'), UTC],
    ['20160626T124259 0200', at('2016-06-26T10:42:59Z'), UTC],
    ['20160626T124259-0530', at('2016-06-26T18:12:59Z'), BERLIN],
    ['20160626T124259.123456789+0200', at('2016-06-26T10:42:59.123456789Z'), UTC],
    ['20160626T124259.5Z', at('2016-06-26T12:42:59.5Z'), BERLIN],
  ],
  'epoch numbers': [
    ['1795343400', at('2026-11-22T10:30:00Z')],
    ['0', 0n],
    ['86400', at('1970-01-02T00:00:00Z')],
    ['999999999', 999_999_999n * S],
    ['1795343400123', at('2026-11-22T10:30:00.123Z')],
    ['1795343400123456', at('2026-11-22T10:30:00.123456Z')],
    ['1795343400123456789', at('2026-11-22T10:30:00.123456789Z')],
    ['1795343400.5', at('2026-11-22T10:30:00.5Z')],
    ['1795343400.000000001', at('2026-11-22T10:30:00.000000001Z')],
  ],
  'relative to now': [
    ['now', NOW],
    ['now-7d', NOW - 7n * 86_400n * S],
    ['now-1w2d3h', NOW - (9n * 86_400n + 3n * 3_600n) * S],
    ['now-30m', NOW - 30n * 60n * S],
    ['now+1h', NOW + 3_600n * S],
    ['now-10s', NOW - 10n * S],
    ['now-1d+2h', NOW - 22n * 3_600n * S],
    ['now 1h', NOW + 3_600n * S],
    ['now-10d', NOW - 10n * 86_400n * S, TO('Europe/Berlin')],
  ],
  'today and yesterday in the configured zone': [
    ['today', at('2026-11-22T00:00:00Z'), UTC],
    ['today', at('2026-11-22T23:59:59.999999999Z'), TO('UTC')],
    ['today', at('2026-11-21T23:00:00Z'), BERLIN],
    // 12:00 UTC is already the 23rd in Auckland (UTC+13 in November).
    ['today', at('2026-11-22T11:00:00Z'), { timezone: 'Pacific/Auckland' }],
    ['yesterday', at('2026-11-20T23:00:00Z'), BERLIN],
    ['yesterday', at('2026-11-21T22:59:59.999999999Z'), TO('Europe/Berlin')],
    ['yesterday', at('2026-02-28T00:00:00Z'), { timezone: 'UTC', now: at('2026-03-01T10:00:00Z') }],
  ],
};

describe('parseTimeExpression', () => {
  for (const [group, list] of Object.entries(cases)) {
    describe(group, () => {
      for (const [input, expected, options] of list) {
        const opts: TimeExpressionOptions = { now: NOW, timezone: 'UTC', role: 'from', ...options };
        it(`${JSON.stringify(input)} (${opts.role}, ${opts.timezone}) → ${expected}`, () => {
          expect(parseTimeExpression(input, opts)).to.equal(expected);
        });
      }
    });
  }

  describe('rejects everything else with a QueryError naming the accepted forms', () => {
    const bad = [
      "__import__('os')",
      "__import__('os').system('id')",
      'now-7x',
      '1+1',
      '',
      '   ',
      'now-',
      'now-1',
      'now-1M',
      'now-1y',
      'now()',
      'Now',
      'now - 1h',
      'now/d',
      'tomorrow',
      'Date.now()',
      'now-1h; DROP DATABASE x',
      '2026-13-01',
      '2026-02-30',
      '2025-02-29',
      '2026-11-22T24:00:00Z',
      '2026-11-22T10:60:00Z',
      '2026-11-22T10:30:60Z',
      '2026-11-22T10:30:00.1234567891Z',
      '2026-11-22T10:30:00+24:00',
      '20160626T124259+2400',
      '20160626T124259+02:0',
      '20160626T124259+2',
      '2026-11-22T10:30:00+01:60',
      '2026-11-22T10',
      '2026-1-5',
      '20261322',
      '20261122T250000',
      '12345678901',
      '123456789012',
      '17953434001234',
      '-1795343400',
      '1e9',
      '0x10',
      'x'.repeat(200),
    ];
    for (const input of bad) {
      it(JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input), () => {
        expect(() => parseTimeExpression(input, { now: NOW, timezone: 'Europe/Berlin', role: 'from' }))
          .to.throw(QueryError)
          .with.property('message')
          .that.matches(/now-7d/)
          .and.matches(/ISO 8601/);
      });
    }

    it('keeps a long input out of the message', () => {
      try {
        parseTimeExpression('y'.repeat(5000), { now: NOW, timezone: 'UTC', role: 'from' });
        expect.fail('no error');
      } catch (err) {
        expect(err).to.be.instanceOf(QueryError);
        expect((err as Error).message.length).to.be.below(600);
      }
    });
  });

  it('rejects an unknown zone with a QueryError', () => {
    expect(() =>
      parseTimeExpression('2026-11-22T10:30:00', { now: NOW, timezone: 'Mars/Olympus', role: 'from' }),
    )
      .to.throw(QueryError)
      .with.property('message')
      .that.contains("'Mars/Olympus'");
  });

  it('does not need a valid zone for forms that do not use one', () => {
    const options: TimeExpressionOptions = { now: NOW, timezone: 'Mars/Olympus', role: 'from' };
    expect(parseTimeExpression('now-1h', options)).to.equal(NOW - 3_600n * S);
    expect(parseTimeExpression('2026-11-22T10:30:00Z', options)).to.equal(at('2026-11-22T10:30:00Z'));
  });
});
