import { expect } from 'chai';
import { DecodeError } from '../../lib/core/errors.js';
import type { BodyLine } from '../../lib/http/body.js';
import { formReadings, jsonReadings, ndjsonReadings, removePasskey } from '../../lib/http/readings-body.js';

async function* linesOf(text: string): AsyncGenerator<BodyLine> {
  let number = 0;
  for (const line of text.split('\n')) yield { text: line, number: ++number };
}

describe('request bodies to readings', () => {
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

  describe('formReadings', () => {
    it('takes the first value of a name, leaves out empty values, keeps values as text', () => {
      expect(formReadings('a=1&b=x+y&a=2&c=&d=%C3%A4').readings).to.deep.equal([
        { a: '1', b: 'x y', d: 'ä' },
      ]);
    });

    it('refuses a form without any value', () => {
      expect(() => formReadings('')).to.throw(DecodeError, 'request body is empty');
      expect(() => formReadings('a=&b=')).to.throw(
        DecodeError,
        'form body holds no name=value pair with a value',
      );
      expect(() => formReadings('PASSKEY=secret')).to.throw(
        DecodeError,
        'form body holds no name=value pair',
      );
    });

    it('keeps __proto__ as a field name', () => {
      const [reading] = formReadings('__proto__=1&v=2').readings;
      expect(Object.keys(reading!)).to.deep.equal(['__proto__', 'v']);
    });
  });

  describe('ndjsonReadings', () => {
    it('reads one object per line and skips blank lines', async () => {
      const result = await ndjsonReadings(linesOf('{"v":1}\n\n {"v":2} \n'));
      expect(result.readings).to.deep.equal([{ v: 1 }, { v: 2 }]);
      expect(result.where(1)).to.equal('line 3');
      const exact = await ndjsonReadings(linesOf('{"time": 1583810982123456789, "v": 1}'));
      expect(exact.readings).to.deep.equal([{ time: 1583810982123456789n, v: 1 }]);
    });

    it('names the bad line', async () => {
      const cases: [string, RegExp][] = [
        ['{"v":1}\n[1]', /^line 2 is an array, not a JSON object$/],
        ['{"v":1}\n{"v":', /^line 2 is not valid JSON at column 6: /],
        ['\n\n', /^request body is empty$/],
      ];
      for (const [body, message] of cases) {
        let thrown: unknown;
        try {
          await ndjsonReadings(linesOf(body));
        } catch (err) {
          thrown = err;
        }
        expect(thrown, body).to.be.instanceOf(DecodeError);
        expect((thrown as Error).message, body).to.match(message);
      }
    });
  });

  it("removePasskey drops Ecowitt's PASSKEY in any case and nothing else", () => {
    expect(removePasskey({ PASSKEY: 'a', passkey: 'b', PassKey: 'c', passkeys: 'd', v: 1 })).to.deep.equal({
      passkeys: 'd',
      v: 1,
    });
    expect(jsonReadings('[{"PASSKEY": "x", "v": 1}]').readings).to.deep.equal([{ v: 1 }]);
    expect(formReadings('PASSKEY=x&v=1').readings).to.deep.equal([{ v: '1' }]);
  });
});
