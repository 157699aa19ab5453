import { expect } from 'chai';
import { jsonToPoint, pointToJson } from '../../../lib/acquire/deliver/point-codec.js';
import type { Point } from '../../../lib/core/point.js';

describe('acquire/deliver/point-codec', () => {
  const point: Point = {
    measurement: 'area_42_node_1_sensors',
    tags: { node: 'x', 'with space': 'a,b=c' },
    fields: {
      temperature: 20.1,
      third: 0.1 + 0.2,
      label: 'warm "and" \\ humid\n',
      ok: true,
      nan: Number.NaN,
      inf: Infinity,
      ninf: -Infinity,
      nzero: -0,
    },
    time: 1583810982123456789n,
  };

  it('gives back every point exactly: ns time, NaN, ±Infinity and -0', () => {
    const back = jsonToPoint(JSON.parse(pointToJson(point)));
    expect(back.time).to.equal(point.time);
    expect(back.measurement).to.equal(point.measurement);
    expect(back.tags).to.deep.equal(point.tags);
    expect(Object.keys(back.fields)).to.deep.equal(Object.keys(point.fields));
    for (const [key, value] of Object.entries(point.fields))
      expect(Object.is(back.fields[key], value), key).to.equal(true);
  });

  it('gives back integers (bigint) exactly, as {"integer": "<digits>"}', () => {
    const ints: Point = {
      measurement: 'm',
      tags: {},
      fields: { max: 9223372036854775807n, min: -9223372036854775808n, f: 1, nan: Number.NaN },
      time: 1n,
    };
    const text = pointToJson(ints);
    expect(JSON.parse(text).fields).to.deep.equal({
      max: { integer: '9223372036854775807' },
      min: { integer: '-9223372036854775808' },
      f: 1,
      nan: { number: 'NaN' },
    });
    const back = jsonToPoint(JSON.parse(text));
    expect(back.fields['max']).to.equal(9223372036854775807n);
    expect(back.fields['min']).to.equal(-9223372036854775808n);
    expect(back.fields['f']).to.equal(1);
  });

  it('writes the documented form, special numbers as {"number": …}, head members first', () => {
    const doc = JSON.parse(
      pointToJson({ measurement: 'm', tags: {}, fields: { v: 1, n: Number.NaN }, time: -5n }, { at: 'x' }),
    );
    expect(doc).to.deep.equal({
      at: 'x',
      measurement: 'm',
      tags: {},
      fields: { v: 1, n: { number: 'NaN' } },
      time: '-5',
    });
  });

  it('reads what daqd wrote before: no tags, and null fields (NaN then) left out', () => {
    expect(jsonToPoint({ measurement: 'm', fields: { a: null, v: 2 }, time: '7' })).to.deep.equal({
      measurement: 'm',
      tags: {},
      fields: { v: 2 },
      time: 7n,
    });
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['not an object', [1], /not a JSON object/],
    ['no measurement', { fields: { v: 1 }, time: '1' }, /measurement/],
    ['a lossy time', { measurement: 'm', fields: { v: 1 }, time: 12 }, /time/],
    ['fields not an object', { measurement: 'm', fields: [1], time: '1' }, /fields/],
    ['a nested field', { measurement: 'm', fields: { v: { x: 1 } }, time: '1' }, /field 'v'/],
    [
      'an unknown special number',
      { measurement: 'm', fields: { v: { number: '1' } }, time: '1' },
      /field 'v'/,
    ],
    ['a tag not a string', { measurement: 'm', tags: { t: 1 }, fields: { v: 1 }, time: '1' }, /tag 't'/],
  ];
  for (const [what, value, problem] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => jsonToPoint(value)).to.throw(problem);
    });
  }
});
