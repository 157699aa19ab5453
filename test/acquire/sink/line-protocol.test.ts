import { expect } from 'chai';
import { pointsToLineProtocol } from '../../../lib/acquire/sink/line-protocol.js';
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

function line(p: Point): string {
  return pointsToLineProtocol([p]).body;
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
      const out = pointsToLineProtocol([point('m', {}), point('m', { a: Number.NaN }), point('m', { a: 1 })]);
      expect(out.body).to.equal(`m a=1 ${T}`);
    });

    it('gives an empty body when nothing is writable', () => {
      expect(pointsToLineProtocol([point('m', {})]).body).to.equal('');
      expect(pointsToLineProtocol([]).body).to.equal('');
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
        const out = pointsToLineProtocol(times.map((t) => point('m', { f: 1 }, {}, t)));
        expect(out.precision).to.equal(precision);
        expect(out.body.split('\n').map((l) => l.split(' ')[2])).to.deep.equal(written);
      });
    }
  });

  it('joins lines with newlines, one per point, in order', () => {
    const out = pointsToLineProtocol([
      point('a', { x: 1 }, { t: '1' }, 1n),
      point('a', { x: 2 }, { t: '1' }, 2n),
      point('b', { y: 's', z: true }, {}, 3n),
    ]);
    expect(out).to.deep.equal({ body: 'a,t=1 x=1 1\na,t=1 x=2 2\nb y="s",z=true 3', precision: 'n' });
  });

  it('reuses nothing stale when points share one tags object across measurements', () => {
    const tags = { b: '2', a: 'x y' };
    const out = pointsToLineProtocol([
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

  it('rejects a measurement that cannot be written', () => {
    for (const name of ['', '#comment', '\\']) {
      expect(() => pointsToLineProtocol([point(name, { f: 1 })]))
        .to.throw(StorageError)
        .with.property('retryable', false);
    }
  });
});
