import { expect } from 'chai';
import { EARLIEST_TIME } from '../../lib/acquire/sanitize/storage-address.js';
import { QueryError } from '../../lib/core/errors.js';
import { parseExportParams } from '../../lib/http/export-params.js';

/** 2026-11-22T12:00:00Z. */
const NOW = 1_795_348_800_000_000_000n;
const DAY = 86_400_000_000_000n;
const options = { now: NOW, timezone: 'Europe/Berlin' };

function parse(query: string) {
  return parseExportParams(new URLSearchParams(query), options);
}

describe('parseExportParams', () => {
  it('defaults: now-10d … now, ascending, all columns, no limit, no fill', () => {
    expect(parse('')).to.deep.equal({
      range: { from: NOW - 10n * DAY, to: NOW },
      include: undefined,
      exclude: undefined,
      order: 'asc',
      limit: undefined,
      sort: undefined,
      time: true,
      scalar: undefined,
      fill: [],
      aggregate: undefined,
    });
  });

  it('interval and aggregate: a bucket width in InfluxQL units, mean by default', () => {
    const HOUR = 3_600_000_000_000n;
    expect(parse('interval=1h&aggregate=max').aggregate).to.deep.equal({ interval: HOUR, fn: 'max' });
    expect(parse('interval=90s').aggregate).to.deep.equal({ interval: 90_000_000_000n, fn: 'mean' });
    expect(parse('interval=2w&aggregate=LAST').aggregate).to.deep.equal({
      interval: 336n * HOUR,
      fn: 'last',
    });
    expect(parse('interval=250ms&aggregate=count').aggregate).to.deep.equal({
      interval: 250_000_000n,
      fn: 'count',
    });
    expect(parse('interval=&aggregate=').aggregate).to.equal(undefined);
  });

  it('refuses an interval or aggregate it cannot honour, saying what is accepted', () => {
    const cases: [string, RegExp][] = [
      ['aggregate=mean', /aggregate needs an interval, e\.g\. 'interval=1h&aggregate=mean'/],
      [
        'interval=1',
        /interval must be a whole number and a unit \(ms, s, m, h, d, w\), e\.g\. '10m', not '1'/,
      ],
      ['interval=0h', /interval must be a whole number and a unit/],
      ['interval=1.5h', /interval must be a whole number and a unit/],
      ['interval=1y', /not '1y'/],
      [
        'interval=1h&aggregate=median',
        /aggregate must be one of mean, min, max, sum, count, first, last, not 'median'/,
      ],
      ['interval=1h&interval=2h', /parameter 'interval' is given more than once/],
    ];
    for (const [query, message] of cases) {
      expect(() => parse(query), query).to.throw(QueryError, message);
    }
  });

  it('reads from / to, zone-less times in the configured zone, a date-only `to` to the end of its day', () => {
    expect(parse('from=2026-01-01&to=2026-01-31').range).to.deep.equal({
      from: 1_767_222_000_000_000_000n, // 2026-01-01T00:00:00+01:00
      to: 1_769_900_400_000_000_000n - 1n, // 2026-02-01T00:00:00+01:00, less one nanosecond
    });
    expect(parse('from=now-1w2d3h').range.from).to.equal(NOW - 9n * DAY - 3n * 3_600_000_000_000n);
  });

  it('reads include / exclude as comma lists, leaving out blanks and `time`', () => {
    const params = parse('include=a, b,,time&exclude=c');
    expect(params.include).to.deep.equal(['a', 'b']);
    expect(params.exclude).to.deep.equal(['c']);
    expect(parse('include=').include).to.equal(undefined);
    expect(parse('include=a,time').time).to.equal(true);
  });

  it('exclude=time drops the time column, as Kotori does', () => {
    const params = parse('exclude=time,c');
    expect([params.exclude, params.time]).to.deep.equal([['c'], false]);
    expect(parse('exclude= time ').time).to.equal(false);
    expect(parse('exclude=timestamp').time).to.equal(true);
  });

  it('direction: asc / ascending / desc / descending, in any case', () => {
    expect(parse('direction=ascending').order).to.equal('asc');
    expect(parse('direction=Descending').order).to.equal('desc');
    expect(parse('sort=time&direction=descending').order).to.equal('desc');
    expect(parse('direction=DESC').order).to.equal('desc');
  });

  it('sort by any columns: sorted after reading, limit applied after sorting (as Kotori does)', () => {
    const params = parse('sort=humidity&direction=descending&limit=3');
    expect([params.order, params.limit, params.sort]).to.deep.equal([
      'asc',
      undefined,
      { by: ['humidity'], direction: 'desc', limit: 3 },
    ]);
    expect(parse('sort=a, b,Time').sort).to.deep.equal({
      by: ['a', 'b', 'time'],
      direction: 'asc',
      limit: undefined,
    });
    // last=N: the newest N rows from the store, then sorted; there direction=asc is the sort's.
    const last = parse('sort=humidity&last=5&direction=asc');
    expect([last.order, last.limit, last.sort]).to.deep.equal([
      'desc',
      5,
      { by: ['humidity'], direction: 'asc', limit: undefined },
    ]);
    // time alone is the store's order, streamed.
    expect(parse('sort=time&direction=desc').sort).to.equal(undefined);
    expect(parse('sort=,').sort).to.equal(undefined);
  });

  it('sort=time with a direction; last=N is the newest rows, newest first, from the beginning of time', () => {
    expect(parse('sort=time&direction=desc').order).to.equal('desc');
    expect(parse('sort=TIME&direction=ASC').order).to.equal('asc');
    const last = parse('last=5');
    expect([last.order, last.limit, last.range.from, last.range.to]).to.deep.equal([
      'desc',
      5,
      EARLIEST_TIME,
      NOW,
    ]);
    expect(parse('last=5&from=now-1d').range.from).to.equal(NOW - DAY);
    expect(parse('last=1&to=2026-01-01').range.to).to.equal(1_767_308_400_000_000_000n - 1n);
    expect(parse('limit=10').limit).to.equal(10);
  });

  it('scalar and the fill flags, in pad → backfill → interpolate order', () => {
    expect(parse('scalar=temperature').scalar).to.equal('temperature');
    expect(parse('interpolate=1&pad&backfill=yes').fill).to.deep.equal(['pad', 'backfill', 'interpolate']);
    expect(parse('pad=false&backfill=off&interpolate=0').fill).to.deep.equal([]);
  });

  it('ignores parameters it does not know', () => {
    expect(parse('foo=bar&sorted=true').order).to.equal('asc');
  });

  it('refuses what it cannot honour, saying what is accepted', () => {
    const cases: [string, RegExp][] = [
      ['direction=up', /direction must be 'asc' \(or 'ascending'\) or 'desc' \(or 'descending'\), not 'up'/],
      ['sort=a&sort=b', /parameter 'sort' is given more than once/],
      ['limit=0', /limit must be a whole number from 1 to 999999999, not '0'/],
      ['limit=1.5', /limit must be a whole number/],
      ['limit=9999999999', /limit must be a whole number/],
      ['last=-1', /last must be a whole number/],
      ['last=3&limit=2', /either 'last'.*or 'limit'/],
      ['last=3&direction=asc', /cannot be combined with direction=asc/],
      ['scalar=', /scalar needs a field name/],
      ['pad=maybe', /pad must be true or false, not 'maybe'/],
      ['from=a&from=b', /parameter 'from' is given more than once/],
      ['from=require("fs")', /accepted are/],
      ['from=now&to=now-1h', /time range is empty/],
    ];
    for (const [query, message] of cases) {
      expect(() => parse(query), query).to.throw(QueryError, message);
    }
  });
});
