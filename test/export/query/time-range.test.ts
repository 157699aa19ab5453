import { expect } from 'chai';
import { QueryError } from '../../../lib/core/errors.js';
import { resolveTimeRange } from '../../../lib/export/query/time-range.js';

const NOW = BigInt(Date.parse('2026-11-22T12:00:00Z')) * 1_000_000n;
const DAY = 86_400_000_000_000n;
const options = { now: NOW, timezone: 'Europe/Berlin' };
const ns = (iso: string): bigint => BigInt(Date.parse(iso)) * 1_000_000n;

describe('resolveTimeRange', () => {
  it('defaults to now-10d … now', () => {
    expect(resolveTimeRange({}, options)).to.deep.equal({ from: NOW - 10n * DAY, to: NOW });
  });

  it('treats blank parameters as absent', () => {
    expect(resolveTimeRange({ from: '', to: '  ' }, options)).to.deep.equal({
      from: NOW - 10n * DAY,
      to: NOW,
    });
  });

  it('reads each end with its role: a whole day as to includes that day', () => {
    expect(resolveTimeRange({ from: '2026-11-22', to: '2026-11-22' }, options)).to.deep.equal({
      from: ns('2026-11-21T23:00:00Z'),
      to: ns('2026-11-22T23:00:00Z') - 1n,
    });
  });

  it('takes one end given and defaults the other', () => {
    expect(resolveTimeRange({ from: 'now-1h' }, options)).to.deep.equal({
      from: NOW - 3_600_000_000_000n,
      to: NOW,
    });
    expect(resolveTimeRange({ to: 'now-1d' }, options)).to.deep.equal({
      from: NOW - 10n * DAY,
      to: NOW - DAY,
    });
  });

  it('accepts from equal to to', () => {
    expect(
      resolveTimeRange({ from: '2026-11-22T10:00:00Z', to: '2026-11-22T10:00:00Z' }, options),
    ).to.deep.equal({
      from: ns('2026-11-22T10:00:00Z'),
      to: ns('2026-11-22T10:00:00Z'),
    });
  });

  it('rejects from after to', () => {
    expect(() => resolveTimeRange({ from: 'now', to: 'now-1h' }, options))
      .to.throw(QueryError)
      .with.property('message')
      .that.contains("from 'now' is after to 'now-1h'");
  });

  it('passes on a QueryError for an expression it does not understand', () => {
    expect(() => resolveTimeRange({ from: "__import__('os')" }, options)).to.throw(
      QueryError,
      /not understood/,
    );
  });
});
