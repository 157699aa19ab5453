import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { createXlsxFormat, xlsxFormat } from '../../../lib/export/format/xlsx.js';
import { type Row, renderBytes, resultOf, SAMPLE_META, sample } from './fixture.js';

async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ExcelJS.Buffer);
  return workbook;
}

function sheetValues(sheet: ExcelJS.Worksheet): unknown[][] {
  const rows: unknown[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row) => {
    // exceljs rows are 1-based: drop the empty slot 0; trailing empty cells are left out.
    rows.push((row.values as unknown[]).slice(1));
  });
  return rows;
}

describe('xlsxFormat', () => {
  it('writes a workbook that reads back with dates, ISO text and typed values', async () => {
    const { bytes } = await renderBytes(xlsxFormat, sample());
    expect(bytes.subarray(0, 2).toString('latin1')).to.equal('PK');
    const workbook = await readWorkbook(bytes);
    expect(workbook.worksheets).to.have.length(1);
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).to.equal('area_42_node_1_sensors');
    expect(workbook.title).to.equal(SAMPLE_META.title);

    const values = sheetValues(sheet);
    expect(values[0]).to.deep.equal(['time', 'time_iso', 'temperature', 'humidity', 'note', 'ok', 'station']);
    // Excel keeps milliseconds: the date cell is cut to the millisecond, the ISO text keeps the nanoseconds.
    expect(values[1]).to.deep.equal([
      new Date('2020-03-10T03:29:42.123Z'),
      '2020-03-10T03:29:42.123456789Z',
      21.5,
      48,
      'plain',
      true,
      'a',
    ]);
    expect(values[2]).to.deep.equal([
      new Date('2020-03-10T03:29:43Z'),
      '2020-03-10T03:29:43Z',
      undefined,
      49.25,
      'has, comma',
      false,
      'b',
    ]);
    expect(values[3]).to.deep.equal([
      new Date('2020-03-10T03:29:44.500Z'),
      '2020-03-10T03:29:44.5Z',
      -3,
      undefined,
      'say "hi"\nnext\\line',
      undefined,
      'a b',
    ]);
    expect(values).to.have.length(4);
    expect(sheet.getCell('A2').numFmt).to.equal('yyyy-mm-dd hh:mm:ss.000');
    expect(sheet.getCell('A2').type).to.equal(ExcelJS.ValueType.Date);
  });

  it('writes a header-only sheet for no rows, with a safe sheet name', async () => {
    const { bytes } = await renderBytes(xlsxFormat, resultOf(['a'], []), {
      measurement: 'a/b:c[d]*?',
      tagColumns: [],
      title: 't',
    });
    const sheet = (await readWorkbook(bytes)).worksheets[0]!;
    expect(sheet.name).to.equal('a_b_c_d___');
    expect(sheetValues(sheet)).to.deep.equal([['time', 'time_iso', 'a']]);
  });

  it('continues on further sheets when one is full', async () => {
    const rows: Row[] = [1, 2, 3, 4, 5].map((n): Row => [BigInt(n) * 1_000_000_000n, n]);
    const format = createXlsxFormat({ rowsPerSheet: 2 });
    const { bytes } = await renderBytes(format, resultOf(['n'], rows), {
      measurement: 'm',
      tagColumns: [],
      title: 't',
    });
    const workbook = await readWorkbook(bytes);
    expect(workbook.worksheets.map((sheet) => sheet.name)).to.deep.equal(['m', 'm (2)', 'm (3)']);
    expect(workbook.worksheets.map((sheet) => sheetValues(sheet).map((row) => row[2]))).to.deep.equal([
      ['n', 1, 2],
      ['n', 3, 4],
      ['n', 5],
    ]);
  });

  it('passes on an error of the row stream', async () => {
    async function* failing(): AsyncGenerator<Row> {
      yield [0n, 1];
      throw new Error('store went away');
    }
    let caught: unknown;
    try {
      await renderBytes(xlsxFormat, { columns: ['a'], rows: failing() });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(Error).with.property('message', 'store went away');
  });

  it('streams: chunks arrive while rows are still coming, and leaving early closes the row source', async () => {
    let produced = 0;
    let closed = false;
    async function* rows(): AsyncGenerator<Row> {
      try {
        for (; produced < 1_000_000; produced++)
          yield [BigInt(produced) * 1_000_000n, produced, 'text value'];
      } finally {
        closed = true;
      }
    }
    let bytes = 0;
    let chunks = 0;
    let producedAtFirstChunk = -1;
    for await (const chunk of xlsxFormat.render({ columns: ['n', 's'], rows: rows() }, SAMPLE_META)) {
      if (chunks === 0) producedAtFirstChunk = produced;
      chunks++;
      bytes += chunk.length;
      if (bytes > 256 * 1024) break;
    }
    expect(chunks).to.be.greaterThan(1);
    expect(producedAtFirstChunk).to.be.below(1_000_000);
    expect(closed).to.equal(true);
    expect(produced).to.be.below(1_000_000);
  });
});
