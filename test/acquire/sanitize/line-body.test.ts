import { expect } from 'chai';
import { parseLineProtocol, precisionToNs } from '../../../lib/acquire/decode/line-protocol.js';
import { PIECE_BYTES } from '../../../lib/acquire/decode/line-protocol-scan.js';
import { lineBodyToPoints } from '../../../lib/acquire/sanitize/line-body.js';
import { LinePoint, lineOrigin } from '../../../lib/acquire/sanitize/line-point.js';
import { lineToPoint } from '../../../lib/acquire/sanitize/line-points.js';
import { errorMessage } from '../../../lib/core/errors.js';
import type { Point } from '../../../lib/core/point.js';
import { lineCorpus, randomLines } from '../decode/line-protocol-corpus.js';

const RECEIVED = 1_700_000_000_123_456_789n;

/** What /write made of a body before lines were kept as written: every line read, then sanitized. */
function reference(text: string, unit: bigint): { points: Point[]; problems: string[] } {
  const parsed = parseLineProtocol(text, unit);
  const points: Point[] = [];
  const problems = parsed.problems.map((p) => p.message);
  for (const line of parsed.lines) {
    try {
      points.push(lineToPoint(line, RECEIVED));
    } catch (err) {
      problems.push(`unable to parse '${line.measurement}': ${errorMessage(err)}`);
    }
  }
  return { points, problems };
}

/** A point as plain data (a `LinePoint` reads its line when asked). */
function plain(point: Point): Point {
  return { measurement: point.measurement, tags: point.tags, fields: point.fields, time: point.time };
}

function expectSameAsReference(text: string, precision: string): Point[] {
  const unit = precisionToNs(precision)!;
  const got = lineBodyToPoints(Buffer.from(text), lineOrigin(unit, RECEIVED));
  const expected = reference(text, unit);
  expect(got.problems, text).to.deep.equal(expected.problems);
  expect(got.points.map(plain), text).to.deep.equal(expected.points);
  for (const point of got.points) expect(point).to.be.an.instanceOf(LinePoint);
  return got.points;
}

describe('acquire/sanitize/line-body', () => {
  describe('lineBodyToPoints gives the points and problems the full reader and lineToPoint give', () => {
    for (const precision of ['ns', 'u', 'ms', 's', 'm', 'h']) {
      it(`the corpus as one body, precision '${precision}'`, () => {
        const points = expectSameAsReference(lineCorpus.join('\n'), precision);
        expect(points.length).to.be.greaterThan(20);
      });
    }

    it('random bodies of random lines, with blank lines, comments, blanks around lines and CRLF', () => {
      const lines = randomLines(6000, 3);
      const precisions = ['ns', 'u', 'ms', 's', 'm', 'h'];
      for (let at = 0, n = 0; at < lines.length; at += 20, n++) {
        const body = lines
          .slice(at, at + 20)
          .map((line, i) => (i % 5 === 1 ? `  ${line}\t\r` : i % 7 === 3 ? `${line}\n# note\n` : line))
          .join(n % 2 === 0 ? '\n' : '\r\n');
        expectSameAsReference(body, precisions[n % precisions.length]!);
      }
    });

    it('a body of many pieces, with strings holding newlines and multi-byte characters', () => {
      const lines: string[] = [];
      for (let i = 0; lines.length < (3 * PIECE_BYTES) / 40; i++) {
        lines.push(
          i % 11 === 0 ? `wärme,ort=küche s="zeile\n${i}",v=${i}i ${i}` : `wärme,ort=küche v=${i / 4} ${i}`,
        );
      }
      const points = expectSameAsReference(lines.join('\n'), 'ns');
      expect(points).to.have.length(lines.length);
    });

    it('an empty body, blank lines and comments only: nothing', () => {
      for (const text of ['', '\n\n', '# only a comment\n  \n']) expectSameAsReference(text, 'ns');
    });

    it('orders problems as /write words them: unreadable lines first, then lines no store takes', () => {
      const { points, problems } = lineBodyToPoints(
        Buffer.from('m v=1u\nbroken\nm v=2 1\nm v=1 x'),
        lineOrigin(1n, RECEIVED),
      );
      expect(points.map(plain)).to.deep.equal([{ measurement: 'm', tags: {}, fields: { v: 2 }, time: 1n }]);
      expect(problems).to.deep.equal([
        "unable to parse 'broken': missing fields",
        "unable to parse 'm v=1 x': bad timestamp",
        "unable to parse 'm': field 'v': unsigned integers (1u) cannot be stored",
      ]);
    });
  });

  describe('the time span of a request (origin.timeSpan)', () => {
    const cases: [string, string, string, { min: bigint; max: bigint } | undefined][] = [
      [
        'digits compared as numbers, not as text',
        'm v=1 99\nm v=1 1000\nm v=1 100',
        'ns',
        { min: 99n, max: 1000n },
      ],
      ['in the request precision', 'm v=1 5\nm v=1 7', 's', { min: 5_000_000_000n, max: 7_000_000_000n }],
      [
        'lines read in full and lines without a time',
        String.raw`m\ x v=1 3` + '\nm v=1 50\nm v=2',
        'ns',
        { min: 3n, max: RECEIVED },
      ],
      ['zero', 'm v=1 0', 'ns', { min: 0n, max: 0n }],
      ['times that fall line by line', 'm v=1 50\nm v=1 40\nm v=1 45\nm v=1 9', 'ns', { min: 9n, max: 50n }],
      ['not known with a negative time', 'm v=1 5\nm v=1 -5', 'ns', undefined],
      ['not known with a leading zero', 'm v=1 5\nm v=1 05', 'ns', undefined],
      ['none without points', 'broken', 'ns', undefined],
    ];
    for (const [name, text, precision, span] of cases) {
      it(name, () => {
        const origin = lineOrigin(precisionToNs(precision)!, RECEIVED);
        lineBodyToPoints(Buffer.from(text), origin);
        expect(origin.timeSpan).to.deep.equal(span);
      });
    }
  });

  describe('LinePoint', () => {
    function one(text: string, precision = 'ns', received = RECEIVED): LinePoint {
      const { points, problems } = lineBodyToPoints(
        Buffer.from(text),
        lineOrigin(precisionToNs(precision)!, received),
      );
      expect(problems).to.deep.equal([]);
      expect(points).to.have.length(1);
      return points[0] as LinePoint;
    }

    it('keeps the line as written and reads it only when asked', () => {
      const point = one('  cpu,host=a usage=1.5,n=3i   1700000000000000001\r');
      expect(point.text).to.equal('cpu,host=a usage=1.5,n=3i   1700000000000000001');
      expect(point.head).to.equal('cpu,host=a usage=1.5,n=3i');
      expect(point.lineIn(1n)).to.equal(point.text);
      expect(plain(point)).to.deep.equal({
        measurement: 'cpu',
        tags: { host: 'a' },
        fields: { usage: 1.5, n: 3n },
        time: 1700000000000000001n,
      });
    });

    it('keeps a line with escapes as written too (read by the full reader)', () => {
      const point = one(String.raw`a\ b,t\=k=v\,w f\ 1=1.5,s="x\"y" 7`, 's');
      expect(point.lineIn(1_000_000_000n)).to.equal(String.raw`a\ b,t\=k=v\,w f\ 1=1.5,s="x\"y" 7`);
      expect(point.head).to.equal(String.raw`a\ b,t\=k=v\,w f\ 1=1.5,s="x\"y"`);
      expect(point.time).to.equal(7_000_000_000n);
      expect(point.fields).to.deep.equal({ 'f 1': 1.5, s: 'x"y' });
    });

    it('a line without a timestamp gets the time of arrival, in its precision when that is whole', () => {
      const ns = one('m v=1');
      expect(ns.time).to.equal(RECEIVED);
      expect(ns.lineIn(1n)).to.equal(`m v=1 ${RECEIVED}`);
      const seconds = one('m v=1', 's');
      expect(seconds.time).to.equal(RECEIVED);
      expect(seconds.lineIn(1_000_000_000n)).to.equal(undefined);
      expect(one('m v=1', 's', 1_700_000_000_000_000_000n).lineIn(1_000_000_000n)).to.equal(
        'm v=1 1700000000',
      );
    });

    it('is written as is only in its own precision', () => {
      const point = one('m v=1 5', 'ms');
      expect(point.lineIn(1_000_000n)).to.equal('m v=1 5');
      expect(point.lineIn(1n)).to.equal(undefined);
      expect(point.time).to.equal(5_000_000n);
    });
  });
});
