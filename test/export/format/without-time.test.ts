import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { csvFormat, txtFormat } from '../../../lib/export/format/csv.js';
import { htmlFormat } from '../../../lib/export/format/html.js';
import { jsonFormat } from '../../../lib/export/format/json.js';
import { lpFormat } from '../../../lib/export/format/lp.js';
import { ndjsonFormat } from '../../../lib/export/format/ndjson.js';
import { tsvFormat } from '../../../lib/export/format/tsv.js';
import { xlsxFormat } from '../../../lib/export/format/xlsx.js';
import { renderBytes, renderText, SAMPLE_META, sample } from './fixture.js';

// `exclude=time` (Kotori drops the column from its DataFrame): every format with columns returns only
// the remaining ones; the same rows with time are in the format's own tests.
const NO_TIME = { ...SAMPLE_META, time: false };

describe('export formats without the time column (exclude=time)', () => {
  it('csv and txt: header and rows without time', async () => {
    for (const format of [csvFormat, txtFormat]) {
      expect(await renderText(format, sample(), NO_TIME)).to.equal(
        [
          'temperature,humidity,note,ok,station',
          '21.5,48,plain,true,a',
          ',49.25,"has, comma",false,b',
          '-3,,"say ""hi""\nnext\\line",,a b',
          '',
        ].join('\n'),
      );
    }
  });

  it('tsv: header and rows without time', async () => {
    expect((await renderText(tsvFormat, sample(), NO_TIME)).split('\n').slice(0, 3)).to.deep.equal([
      'temperature\thumidity\tnote\tok\tstation',
      '21.5\t48\tplain\ttrue\ta',
      '\t49.25\thas, comma\tfalse\tb',
    ]);
  });

  it('json and ndjson: objects without a time key', async () => {
    const rows = JSON.parse(await renderText(jsonFormat, sample(), NO_TIME)) as Record<string, unknown>[];
    expect(rows[0]).to.deep.equal({ temperature: 21.5, humidity: 48, note: 'plain', ok: true, station: 'a' });
    expect(rows.every((row) => !('time' in row))).to.equal(true);
    const lines = (await renderText(ndjsonFormat, sample(), NO_TIME)).trim().split('\n');
    expect(JSON.parse(lines[1]!)).to.deep.equal({
      temperature: null,
      humidity: 49.25,
      note: 'has, comma',
      ok: false,
      station: 'b',
    });
  });

  it('html: no time column in the head or the rows', async () => {
    const page = await renderText(htmlFormat, sample(), NO_TIME);
    expect(page).to.contain(
      '<thead><tr><th>temperature</th><th>humidity</th><th>note</th><th>ok</th><th>station</th></tr></thead>',
    );
    expect(page).to.contain('<tr><td>21.5</td><td>48</td><td>plain</td><td>true</td><td>a</td></tr>');
    expect(page).not.to.contain('2020-03-10T');
  });

  it('xlsx: neither time nor time_iso', async () => {
    const { bytes } = await renderBytes(xlsxFormat, sample(), NO_TIME);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
    const sheet = workbook.worksheets[0]!;
    expect((sheet.getRow(1).values as unknown[]).slice(1)).to.deep.equal([
      'temperature',
      'humidity',
      'note',
      'ok',
      'station',
    ]);
    expect((sheet.getRow(2).values as unknown[]).slice(1)).to.deep.equal([21.5, 48, 'plain', true, 'a']);
  });

  it('line protocol keeps its timestamps (a point without one would be stamped anew on import)', async () => {
    const text = await renderText(lpFormat, sample(), NO_TIME);
    expect(text.split('\n')[0]).to.match(/ 1583810982123456789$/);
  });
});
