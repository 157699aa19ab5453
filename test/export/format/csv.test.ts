import { expect } from 'chai';
import { csvFormat, txtFormat } from '../../../lib/export/format/csv.js';
import { tsvFormat } from '../../../lib/export/format/tsv.js';
import { renderText, resultOf, sample } from './fixture.js';

const SAMPLE_CSV =
  'time,temperature,humidity,note,ok,station\n' +
  '2020-03-10T03:29:42.123456789Z,21.5,48,plain,true,a\n' +
  '2020-03-10T03:29:43Z,,49.25,"has, comma",false,b\n' +
  '2020-03-10T03:29:44.5Z,-3,,"say ""hi""\nnext\\line",,a b\n';

describe('csvFormat', () => {
  it('renders header and rows with ISO times, empty nulls and quoting only where needed', async () => {
    expect(await renderText(csvFormat, sample())).to.equal(SAMPLE_CSV);
  });

  it('quotes comma, double quote, CR and LF per RFC 4180, also in the header', async () => {
    const result = resultOf(
      ['a,b', 'plain'],
      [
        [0n, 'x\r\ny', 'q"'],
        [1n, '"', 'no quotes needed; here'],
      ],
    );
    expect(await renderText(csvFormat, result)).to.equal(
      'time,"a,b",plain\n' +
        '1970-01-01T00:00:00Z,"x\r\ny","q"""\n' +
        '1970-01-01T00:00:00.000000001Z,"""",no quotes needed; here\n',
    );
  });

  it('prints numbers as JavaScript does', async () => {
    const result = resultOf(
      ['v'],
      [
        [0n, 1e21],
        [0n, 0.1],
        [0n, -0],
        [0n, 123456789.123],
        [0n, 1e-7],
      ],
    );
    const lines = (await renderText(csvFormat, result)).split('\n').slice(1, -1);
    expect(lines.map((line) => line.split(',')[1])).to.deep.equal([
      '1e+21',
      '0.1',
      '0',
      '123456789.123',
      '1e-7',
    ]);
  });

  it('renders only the header for no rows', async () => {
    expect(await renderText(csvFormat, resultOf(['a', 'b'], []))).to.equal('time,a,b\n');
  });

  it('serves the same document as txt with a text/plain type', async () => {
    expect(txtFormat.suffix).to.equal('txt');
    expect(txtFormat.contentType).to.match(/^text\/plain/);
    expect(csvFormat.contentType).to.match(/^text\/csv/);
    expect(await renderText(txtFormat, sample())).to.equal(SAMPLE_CSV);
  });
});

describe('tsvFormat', () => {
  it('separates by tabs and turns tabs and line breaks inside values into spaces', async () => {
    expect(await renderText(tsvFormat, sample())).to.equal(
      'time\ttemperature\thumidity\tnote\tok\tstation\n' +
        '2020-03-10T03:29:42.123456789Z\t21.5\t48\tplain\ttrue\ta\n' +
        '2020-03-10T03:29:43Z\t\t49.25\thas, comma\tfalse\tb\n' +
        '2020-03-10T03:29:44.5Z\t-3\t\tsay "hi" next\\line\t\ta b\n',
    );
    const result = resultOf(['col\tumn'], [[0n, 'a\tb\r\nc']]);
    expect(await renderText(tsvFormat, result)).to.equal('time\tcol umn\n1970-01-01T00:00:00Z\ta b  c\n');
    expect(tsvFormat.contentType).to.match(/^text\/tab-separated-values/);
  });
});
