import { expect } from 'chai';
import { csvFormat } from '../../../lib/export/format/csv.js';
import type { Format } from '../../../lib/export/format/format.js';
import { htmlFormat } from '../../../lib/export/format/html.js';
import { jsonFormat } from '../../../lib/export/format/json.js';
import { lpFormat } from '../../../lib/export/format/lp.js';
import { ndjsonFormat } from '../../../lib/export/format/ndjson.js';
import { tsvFormat } from '../../../lib/export/format/tsv.js';
import type { Row } from './fixture.js';

const ROWS = 200_000;
// Every time has nine fraction digits that do not end in 0, so each ISO time is exactly 30 characters.
const T0 = 1583810982123456789n;

/** Generated rows `[time, i % 10]`, reporting when it has yielded its last row. */
function generated(state: { done: boolean }): AsyncGenerator<Row> {
  return (async function* () {
    for (let i = 0; i < ROWS; i++) yield [T0 + BigInt(i) * 1_000_000_000n, i % 10];
    state.done = true;
  })();
}

// Expected byte counts, from the fixed shape of each row (ISO time: 30 bytes; value: 1 digit).
const META = { measurement: 'm', tagColumns: [], title: 'stream' };
const expectedBytes = new Map<Format, number>([
  [csvFormat, 'time,v\n'.length + ROWS * (30 + 1 + 1 + 1)],
  [tsvFormat, 'time\tv\n'.length + ROWS * (30 + 1 + 1 + 1)],
  [ndjsonFormat, ROWS * ('{"time":"'.length + 30 + '","v":'.length + 1 + '}\n'.length)],
  [jsonFormat, 2 + ROWS * ('{"time":"'.length + 30 + '","v":'.length + 1 + '}'.length) + 2 * (ROWS - 1) + 3],
  [lpFormat, ROWS * ('m v='.length + 1 + 1 + 19 + 1)],
]);

/** The byte count a format must produce for the generated rows. */
async function expectedSize(format: Format): Promise<number> {
  const known = expectedBytes.get(format);
  if (known !== undefined) return known;
  // html: page frame (rendered without rows) plus `<tr><td>TIME</td><td>V</td></tr>\n` per row.
  let frame = 0;
  for await (const chunk of format.render({ columns: ['v'], rows: (async function* () {})() }, META)) {
    frame += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
  }
  return frame + ROWS * ('<tr><td>'.length + 30 + '</td><td>'.length + 1 + '</td></tr>\n'.length);
}

describe('streaming export of 200k rows', function () {
  this.timeout(60_000);

  for (const format of [csvFormat, tsvFormat, jsonFormat, ndjsonFormat, lpFormat, htmlFormat]) {
    it(`${format.suffix}: chunks arrive while rows are still coming, bounded in size`, async () => {
      const state = { done: false };
      let bytes = 0;
      let chunks = 0;
      let largest = 0;
      let doneAtFirstChunk: boolean | undefined;
      for await (const chunk of format.render({ columns: ['v'], rows: generated(state) }, META)) {
        doneAtFirstChunk ??= state.done;
        const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
        bytes += size;
        largest = Math.max(largest, size);
        chunks++;
      }
      expect(doneAtFirstChunk).to.equal(false);
      expect(state.done).to.equal(true);
      expect(chunks).to.be.greaterThan(100);
      // ~1000 rows or 64 Ki characters per chunk, never the whole document.
      expect(largest).to.be.below(128 * 1024);
      expect(bytes).to.equal(await expectedSize(format));
    });
  }

  it('reads rows only as fast as the consumer takes chunks', async () => {
    const state = { done: false };
    let produced = 0;
    async function* counted(): AsyncGenerator<Row> {
      for await (const row of generated(state)) {
        produced++;
        yield row;
      }
    }
    const iterator = csvFormat.render({ columns: ['v'], rows: counted() }, META)[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next();
    expect(produced).to.be.within(1000, 3000);
    await iterator.return?.();
    expect(state.done).to.equal(false);
  });
});
