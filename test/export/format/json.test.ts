import { expect } from 'chai';
import { jsonFormat } from '../../../lib/export/format/json.js';
import { ndjsonFormat } from '../../../lib/export/format/ndjson.js';
import { renderText, resultOf, sample } from './fixture.js';

const SAMPLE_OBJECTS = [
  {
    time: '2020-03-10T03:29:42.123456789Z',
    temperature: 21.5,
    humidity: 48,
    note: 'plain',
    ok: true,
    station: 'a',
  },
  {
    time: '2020-03-10T03:29:43Z',
    temperature: null,
    humidity: 49.25,
    note: 'has, comma',
    ok: false,
    station: 'b',
  },
  {
    time: '2020-03-10T03:29:44.5Z',
    temperature: -3,
    humidity: null,
    note: 'say "hi"\nnext\\line',
    ok: null,
    station: 'a b',
  },
];

describe('jsonFormat', () => {
  it('renders an array of row objects with every column, null for missing values', async () => {
    const text = await renderText(jsonFormat, sample());
    expect(JSON.parse(text)).to.deep.equal(SAMPLE_OBJECTS);
  });

  it('streams [, rows joined by ",\\n", ]', async () => {
    const text = await renderText(
      jsonFormat,
      resultOf(
        ['a'],
        [
          [0n, 1],
          [1_000_000_000n, 'x'],
        ],
      ),
    );
    expect(text).to.equal(
      '[\n{"time":"1970-01-01T00:00:00Z","a":1},\n{"time":"1970-01-01T00:00:01Z","a":"x"}\n]\n',
    );
  });

  it('renders an empty array for no rows', async () => {
    const text = await renderText(jsonFormat, resultOf(['a'], []));
    expect(JSON.parse(text)).to.deep.equal([]);
  });

  it('escapes keys and values and writes non-finite numbers as null', async () => {
    const result = resultOf(['we"ird\nkey', 'n'], [[0n, '\u2028</script>\u0000', Number.NaN]]);
    const text = await renderText(jsonFormat, result);
    expect(JSON.parse(text)).to.deep.equal([
      { time: '1970-01-01T00:00:00Z', 'we"ird\nkey': '\u2028</script>\u0000', n: null },
    ]);
  });
});

describe('ndjsonFormat', () => {
  it('renders one object per line', async () => {
    const text = await renderText(ndjsonFormat, sample());
    expect(text.endsWith('\n')).to.equal(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines).to.have.length(3);
    expect(lines.map((line) => JSON.parse(line))).to.deep.equal(SAMPLE_OBJECTS);
    expect(ndjsonFormat.contentType).to.equal('application/x-ndjson');
  });

  it('renders nothing for no rows', async () => {
    expect(await renderText(ndjsonFormat, resultOf(['a'], []))).to.equal('');
  });
});
