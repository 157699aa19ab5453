import { expect } from 'chai';
import { lineBodyToPoints } from '../../../lib/acquire/sanitize/line-body.js';
import { lineOrigin } from '../../../lib/acquire/sanitize/line-point.js';
import { pointsToLineProtocol, pointsToLineProtocolBytes } from '../../../lib/acquire/sink/line-protocol.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { FieldValue, Point } from '../../../lib/core/point.js';

const T = 1583810982123456789n;

function point(
  measurement: string,
  fields: Record<string, FieldValue>,
  tags: Record<string, string> = {},
  time: bigint = T,
): Point {
  return { measurement, tags, fields, time };
}

/** The body of `points`, checked to be the same as text and as the bytes a write sends. */
function bodyOf(points: readonly Point[]): { body: string; precision: string } {
  const text = pointsToLineProtocol(points);
  const bytes = pointsToLineProtocolBytes(points);
  expect(bytes.body.toString('utf8')).to.equal(text.body);
  expect(bytes.precision).to.equal(text.precision);
  return text;
}

function line(p: Point): string {
  return bodyOf([p]).body;
}

/** Points of a line-protocol body as /write makes them (kept as written). */
function linePoints(text: string, unit: bigint, receivedAt = 7_000_000_000n): Point[] {
  const { points, problems } = lineBodyToPoints(Buffer.from(text), lineOrigin(unit, receivedAt));
  expect(problems).to.deep.equal([]);
  return points;
}

describe('pointsToLineProtocol', () => {
  describe('escaping', () => {
    const cases: Array<[string, Point, string]> = [
      [
        'plain names unchanged',
        point('sensors', { temp: 21.5 }, { node: 'n1' }),
        'sensors,node=n1 temp=21.5',
      ],
      ['measurement: comma and space', point('a b,c', { f: 1 }), 'a\\ b\\,c f=1'],
      ['measurement: equals and quote stay', point('a=b"c', { f: 1 }), 'a=b"c f=1'],
      [
        'tag key and value: comma, equals, space',
        point('m', { f: 1 }, { 'k ,=': 'v ,=' }),
        'm,k\\ \\,\\==v\\ \\,\\= f=1',
      ],
      ['tag value with quote stays', point('m', { f: 1 }, { k: 'say "hi"' }), 'm,k=say\\ "hi" f=1'],
      ['field key: comma, equals, space', point('m', { 'a,b=c d': 1 }), 'm a\\,b\\=c\\ d=1'],
      ['field key with quote stays', point('m', { 'a"b': 1 }), 'm a"b=1'],
      ['string field: quote and backslash', point('m', { s: 'say "hi" \\o/' }), 'm s="say \\"hi\\" \\\\o/"'],
      ['string field: newline kept inside quotes', point('m', { s: 'a\nb' }), 'm s="a\nb"'],
      ['string field: empty', point('m', { s: '' }), 'm s=""'],
      [
        'newline in names becomes \\n text',
        point('x\ny', { 'f\r': 1 }, { t: 'a\nb' }),
        'x\\ny,t=a\\nb f\\r=1',
      ],
      [
        'backslash before a plain char stays',
        point('a\\b', { 'c\\d': 1 }, { t: 'e\\f' }),
        'a\\b,t=e\\f c\\d=1',
      ],
      ['trailing backslash is dropped', point('m\\', { 'f\\\\': 1 }, { t: 'C:\\' }), 'm,t=C: f=1'],
      [
        'tag: backslash before an escaped char is kept',
        point('m', { f: 1 }, { t: 'a\\ b' }),
        'm,t=a\\\\ b f=1',
      ],
      [
        'measurement/field key: backslash before an escaped char is dropped',
        point('a\\ b', { 'c\\,d': 1 }),
        'a\\ b c\\,d=1',
      ],
    ];
    for (const [name, p, expected] of cases) {
      it(name, () => {
        expect(line(p)).to.equal(`${expected} ${T}`);
      });
    }
  });

  describe('values', () => {
    const cases: Array<[string, FieldValue, string]> = [
      ['integer-valued number as float (no i suffix)', 42, '42'],
      ['negative fraction', -0.5, '-0.5'],
      ['negative zero', -0, '0'],
      ['huge', 1e21, '1e+21'],
      ['largest double', Number.MAX_VALUE, '1.7976931348623157e+308'],
      ['smallest subnormal', 5e-324, '5e-324'],
      ['small negative', -1e-7, '-1e-7'],
      ['beyond 2^53 (shortest round-trip digits)', 2 ** 60, '1152921504606847000'],
      ['bigint as integer', 42n, '42i'],
      ['largest int64', 9223372036854775807n, '9223372036854775807i'],
      ['smallest int64', -9223372036854775808n, '-9223372036854775808i'],
      ['true', true, 'true'],
      ['false', false, 'false'],
    ];
    for (const [name, value, expected] of cases) {
      it(name, () => {
        expect(line(point('m', { v: value }))).to.equal(`m v=${expected} ${T}`);
      });
    }

    it('leaves out NaN and infinite numbers', () => {
      expect(line(point('m', { a: Number.NaN, b: 1, c: Number.POSITIVE_INFINITY }))).to.equal(`m b=1 ${T}`);
    });

    it('skips a point without (writable) fields', () => {
      const out = bodyOf([point('m', {}), point('m', { a: Number.NaN }), point('m', { a: 1 })]);
      expect(out.body).to.equal(`m a=1 ${T}`);
    });

    it('gives an empty body when nothing is writable', () => {
      expect(bodyOf([point('m', {})]).body).to.equal('');
      expect(bodyOf([]).body).to.equal('');
    });
  });

  describe('tags', () => {
    it('sorts tags by key', () => {
      expect(line(point('m', { f: 1 }, { zeta: '1', alpha: '2', mid: '3' }))).to.equal(
        `m,alpha=2,mid=3,zeta=1 f=1 ${T}`,
      );
    });

    it('leaves out empty tag keys and values', () => {
      expect(line(point('m', { f: 1 }, { a: '', '': 'x', b: 'y' }))).to.equal(`m,b=y f=1 ${T}`);
    });
  });

  describe('precision', () => {
    const cases: Array<[string, bigint[], string, string[]]> = [
      [
        'all whole seconds → s',
        [1583810982000000000n, 1583810983000000000n],
        's',
        ['1583810982', '1583810983'],
      ],
      [
        'milliseconds → ms',
        [1583810982000000000n, 1583810982123000000n],
        'ms',
        ['1583810982000', '1583810982123'],
      ],
      [
        'microseconds → u',
        [1583810982123456000n, 1583810982000000000n],
        'u',
        ['1583810982123456', '1583810982000000'],
      ],
      ['one nanosecond time → n', [1583810982000000000n, T], 'n', ['1583810982000000000', String(T)]],
      ['zero → s', [0n], 's', ['0']],
      ['before 1970 → s', [-86400000000000n], 's', ['-86400']],
      ['before 1970 with nanoseconds → n', [-1n], 'n', ['-1']],
    ];
    for (const [name, times, precision, written] of cases) {
      it(name, () => {
        const out = bodyOf(times.map((t) => point('m', { f: 1 }, {}, t)));
        expect(out.precision).to.equal(precision);
        expect(out.body.split('\n').map((l) => l.split(' ')[2])).to.deep.equal(written);
      });
    }
  });

  it('joins lines with newlines, one per point, in order', () => {
    const out = bodyOf([
      point('a', { x: 1 }, { t: '1' }, 1n),
      point('a', { x: 2 }, { t: '1' }, 2n),
      point('b', { y: 's', z: true }, {}, 3n),
    ]);
    expect(out).to.deep.equal({ body: 'a,t=1 x=1 1\na,t=1 x=2 2\nb y="s",z=true 3', precision: 'n' });
  });

  it('reuses nothing stale when points share one tags object across measurements', () => {
    const tags = { b: '2', a: 'x y' };
    const out = bodyOf([
      point('m1', { f: 1 }, tags, 1n),
      point('m1', { f: 2 }, tags, 2n),
      point('m2', { f: 3 }, tags, 3n),
      point('m2', { f: 4 }, { a: 'z' }, 4n),
    ]);
    expect(out.body.split('\n')).to.deep.equal([
      'm1,a=x\\ y,b=2 f=1 1',
      'm1,a=x\\ y,b=2 f=2 2',
      'm2,a=x\\ y,b=2 f=3 3',
      'm2,a=z f=4 4',
    ]);
  });

  describe('points that came as line protocol', () => {
    it('are written as they were written, in their precision, when all came so', () => {
      const body = String.raw`a\ b,t=x\,y f=1.50,s="q\"r",i=7i 1700000000` + '\nm,z=1,a=2 v=1e3   1700000001';
      expect(bodyOf(linePoints(body, 1_000_000_000n))).to.deep.equal({
        body: String.raw`a\ b,t=x\,y f=1.50,s="q\"r",i=7i 1700000000` + '\nm,z=1,a=2 v=1e3   1700000001',
        precision: 's',
      });
    });

    it('are written line by line in the order of the points, whatever came between them in the body', () => {
      const points = linePoints('m v=1 1\nm v=2 2\r\n  m v=3 3\n# c\n\nm v=4 4\nm v=5\nm v=6 6', 1n, 99n);
      const lines = ['m v=1 1', 'm v=2 2', 'm v=3 3', 'm v=4 4', 'm v=5 99', 'm v=6 6'];
      expect(bodyOf(points).body).to.equal(lines.join('\n'));
      expect(bodyOf([...points].reverse()).body).to.equal([...lines].reverse().join('\n'));
      const shuffled = [points[1]!, points[0]!, points[2]!, points[3]!, points[5]!];
      expect(bodyOf(shuffled).body).to.equal([1, 0, 2, 3, 5].map((i) => lines[i]).join('\n'));
    });

    it('get the time of arrival when they have none', () => {
      expect(bodyOf(linePoints('m v=1\nm v=2 5', 1n, 99n))).to.deep.equal({
        body: 'm v=1 99\nm v=2 5',
        precision: 'n',
      });
    });

    it('are written with their time in the batch precision next to other points, or in another precision', () => {
      const mixed = [...linePoints('m,t=a f=1.50 1700000000123', 1_000_000n), point('n', { g: 2 }, {}, 5n)];
      expect(bodyOf(mixed)).to.deep.equal({
        body: 'm,t=a f=1.50 1700000000123000000\nn g=2 5',
        precision: 'n',
      });
      const precisions = [...linePoints('m f=1 2', 1_000_000_000n), ...linePoints('m f=1 3', 1_000_000n)];
      expect(bodyOf(precisions)).to.deep.equal({ body: 'm f=1 2000\nm f=1 3', precision: 'ms' });
      // InfluxDB's minutes and hours are written in seconds.
      expect(bodyOf(linePoints('m f=1 2', 60_000_000_000n))).to.deep.equal({
        body: 'm f=1 120',
        precision: 's',
      });
      // A time of arrival that is no whole number of the request's unit.
      expect(bodyOf(linePoints('m f=1', 1_000_000_000n, 1_500_000_000n))).to.deep.equal({
        body: 'm f=1 1500',
        precision: 'ms',
      });
    });

    it('are encoded in pieces into one body, multi-byte characters and all', () => {
      const text = Array.from({ length: 20_000 }, (_, i) => `wärme,ort=küche v=${i},s="☃ ${i}" ${i}`).join(
        '\n',
      );
      const out = pointsToLineProtocolBytes(linePoints(text, 1n));
      expect(out.precision).to.equal('n');
      expect(out.body.toString('utf8')).to.equal(text);
    });
  });

  it('rejects a measurement that cannot be written', () => {
    for (const name of ['', '#comment', '\\']) {
      expect(() => pointsToLineProtocol([point(name, { f: 1 })]))
        .to.throw(StorageError)
        .with.property('retryable', false);
    }
  });
});
