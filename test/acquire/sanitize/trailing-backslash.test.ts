import { expect } from 'chai';
import { parseLineProtocol } from '../../../lib/acquire/decode/line-protocol.js';
import { lineToPoint } from '../../../lib/acquire/sanitize/line-points.js';
import { readingToPoint } from '../../../lib/acquire/sanitize/reading.js';
import { pointsToLineProtocol } from '../../../lib/acquire/sink/line-protocol.js';
import { DecodeError } from '../../../lib/core/errors.js';

const options = {
  measurement: 'sensors',
  tagFields: ['station'],
  timezone: 'UTC',
  receivedAt: 1_700_000_000_000_000_000n,
  kind: 'data' as const,
};

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).to.be.instanceOf(DecodeError);
    return (err as Error).message;
  }
  return expect.fail('expected a DecodeError');
}

describe('names and tag values ending in a backslash (InfluxDB line protocol cannot carry them)', () => {
  it('refuses a tag value ending in a backslash, rather than storing it as the value without one', () => {
    expect(refusal(() => readingToPoint({ station: 'k\\', t: 1 }, options))).to.match(
      /tag 'station' value "k\\\\" ends in a backslash/,
    );
    // A backslash inside the value is kept, exactly.
    const { point } = readingToPoint({ station: 'a\\b', t: 1 }, options);
    expect(point.tags).to.deep.equal({ station: 'a\\b' });
    expect(pointsToLineProtocol([point]).body).to.include('station=a\\b ');
  });

  it('refuses a field name ending in a backslash, flat and nested', () => {
    expect(refusal(() => readingToPoint({ 't\\': 1 }, options))).to.match(
      /field name "t\\\\" ends in a backslash/,
    );
    expect(refusal(() => readingToPoint({ outer: { 'x\\': 1 } }, options))).to.match(
      /field name "outer\.x\\\\"/,
    );
  });

  it('refuses the same in line protocol taken as points (/write)', () => {
    const [line] = parseLineProtocol('weather,station=k\\\\ temp=1 1', 1n).lines;
    // InfluxDB 1.x reads `\\` inside a tag as two backslashes; it would store this value without its last.
    expect(line?.tags['station']).to.equal('k\\\\');
    expect(refusal(() => lineToPoint(line!, 0n))).to.match(/tag 'station' value .* ends in a backslash/);
  });
});
