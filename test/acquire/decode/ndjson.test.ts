import { expect } from 'chai';
import { ndjsonReadings } from '../../../lib/acquire/decode/ndjson.js';
import type { BodyLine } from '../../../lib/acquire/decode/text-lines.js';
import { DecodeError } from '../../../lib/core/errors.js';

async function* linesOf(text: string): AsyncGenerator<BodyLine> {
  let number = 0;
  for (const line of text.split('\n')) yield { text: line, number: ++number };
}

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
