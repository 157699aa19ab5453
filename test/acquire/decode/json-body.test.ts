import { expect } from 'chai';
import { jsonReadings } from '../../../lib/acquire/decode/json-body.js';
import { DecodeError } from '../../../lib/core/errors.js';

describe('jsonReadings', () => {
  it('reads an object as one reading and an array of objects as bulk', () => {
    expect(jsonReadings('{"v": 1}').readings).to.deep.equal([{ v: 1 }]);
    const bulk = jsonReadings('[{"v": 1, "time": 1583810982}, {"v": 2}]');
    expect(bulk.readings).to.deep.equal([{ v: 1, time: 1583810982 }, { v: 2 }]);
    expect(bulk.where(1)).to.equal('item 2');
  });

  it('keeps every digit of long numbers (nanosecond timestamps), single and bulk', () => {
    expect(jsonReadings('{"timestamp": 1583810982123456789, "v": 1}').readings).to.deep.equal([
      { timestamp: 1583810982123456789n, v: 1 },
    ]);
    expect(
      jsonReadings('[{"time": 1583810982123456789}, {"time": 1583810982.123456789}]').readings,
    ).to.deep.equal([{ time: 1583810982123456789n }, { time: '1583810982.123456789' }]);
  });

  it('says where a body is bad', () => {
    const cases: [string, string][] = [
      ['', 'request body is empty'],
      ['  \n', 'request body is empty'],
      ['[]', 'request body is an empty JSON array'],
      ['"text"', 'request body is a string, not a JSON object or an array of objects'],
      ['null', 'request body is null, not a JSON object or an array of objects'],
      ['[{"v":1}, 2]', 'item 2 of the JSON array is a number, not an object'],
      ['[{"v":1}, []]', 'item 2 of the JSON array is an array, not an object'],
    ];
    for (const [body, message] of cases)
      expect(() => jsonReadings(body), body).to.throw(DecodeError, message);
    expect(() => jsonReadings('{"v": 1,\n  "w": }')).to.throw(
      DecodeError,
      /^request body is not valid JSON at line 2, column 8: /,
    );
    expect(() => jsonReadings('{"v": 1')).to.throw(DecodeError, /at line 1, column 8/);
  });
});
