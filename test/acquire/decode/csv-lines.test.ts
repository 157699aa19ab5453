import { expect } from 'chai';
import { csvLinesDecoder, csvLinesSlotClass, parseCsvFields } from '../../../lib/acquire/decode/csv-lines.js';
import type { CsvColumn } from '../../../lib/acquire/decode/decoder.js';
import { ISEMS_LINE, ISEMS_READING } from './csv-lines.fixtures.js';

function columnsOf(text: string): CsvColumn[] {
  const parsed = parseCsvFields(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.columns;
}

describe('CSV lines over MQTT (csv_fields)', () => {
  describe('parseCsvFields', () => {
    it('expands the isems preset to the 18 fields of the ISEMS log line and an optional hex status', () => {
      const columns = columnsOf('isems');
      expect(columns).to.have.length(19);
      expect(columns.slice(0, 3).map((c) => c.name)).to.deep.equal(['nodeId', 'isemsRevision', 'timestamp']);
      expect(columns.filter((c) => c.optional || c.hex)).to.deep.equal([
        { name: 'status', hex: true, optional: true },
      ]);
    });

    it('reads a list with optional and hex columns', () => {
      expect(columnsOf(' a, b ,c?:hex')).to.deep.equal([
        { name: 'a', hex: false, optional: false },
        { name: 'b', hex: false, optional: false },
        { name: 'c', hex: true, optional: true },
      ]);
    });

    for (const [text, problem] of [
      ['a, a', /column 'a' is named twice/],
      ['a?, b', /column 'b' follows an optional one/],
      ['a, b c', /'b c' is not a column/],
      ['a, ', /'' is not a column/],
      ['a?', /at least one column must be required/],
      ['a:int', /'a:int' is not a column/],
    ] as const) {
      it(`refuses '${text}'`, () => {
        const parsed = parseCsvFields(text);
        expect(parsed).to.have.property('problem').that.matches(problem);
      });
    }
  });

  describe('decoding', () => {
    const isems = csvLinesSlotClass('', columnsOf('isems'));

    it('names every line left out, with why, and decodes the rest', () => {
      if (isems.kind !== 'decoder') throw new Error('expected the CSV lines decoder');
      const payload = Buffer.from(
        `${ISEMS_LINE}\n\nElektra-Dach;1;1530364576;short\n${ISEMS_LINE.replace(/;300$/, ';zz')}\n${ISEMS_LINE}`,
      );
      const decoded = isems.decoder.decode('', isems.match, payload);
      expect(decoded.readings).to.deep.equal([ISEMS_READING, ISEMS_READING]);
      expect(decoded.skipped).to.deep.equal([
        'line 3: 4 fields, expected 18 to 19',
        "line 4: 'status' is 'zz', not a hexadecimal number",
      ]);
    });

    it('skips nothing in a good log', () => {
      if (isems.kind !== 'decoder') throw new Error('expected the CSV lines decoder');
      const decoded = isems.decoder.decode('', isems.match, Buffer.from(`${ISEMS_LINE}\n`));
      expect(decoded.skipped).to.deep.equal([]);
    });

    it('still ignores the error reports of a slot ending in error.json (loop protection)', () => {
      expect(csvLinesSlotClass('error.json', columnsOf('isems')).kind).to.equal('ignore');
    });

    it('refuses to decode without columns', () => {
      expect(() => csvLinesDecoder.decode('csvlog', { kind: 'data' }, Buffer.from(ISEMS_LINE))).to.throw(
        /no csv_fields/,
      );
    });
  });
});
