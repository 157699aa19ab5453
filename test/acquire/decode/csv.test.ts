import { expect } from 'chai';
import { csvCells, csvHeaderFromLine, csvReadings } from '../../../lib/acquire/decode/csv.js';
import type { CsvHeader } from '../../../lib/acquire/decode/decoder.js';
import type { BodyLine } from '../../../lib/acquire/decode/text-lines.js';
import { DecodeError } from '../../../lib/core/errors.js';

async function* linesOf(text: string): AsyncGenerator<BodyLine> {
  let number = 0;
  for (const line of text.split('\n')) yield { text: line, number: ++number };
}

async function refused(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(DecodeError);
    return (err as Error).message;
  }
  throw new Error('expected a DecodeError');
}

describe('csvCells', () => {
  const cases: [string, string[]][] = [
    ['a,b,c', ['a', 'b', 'c']],
    [' a ; b ,c ', ['a', 'b', 'c']],
    ['1,,3', ['1', '', '3']],
    ['1,2,', ['1', '2', '']],
    ['', ['']],
    ['"a,b";"say ""hi""" , c', ['a,b', 'say "hi"', 'c']],
    ['"unterminated, x', ['unterminated, x']],
    ['x"y,z', ['x"y', 'z']],
  ];
  for (const [line, cells] of cases) {
    it(`${JSON.stringify(line)} → ${JSON.stringify(cells)}`, () => {
      expect(csvCells(line)).to.deep.equal(cells);
    });
  }
});

describe('csvHeaderFromLine', () => {
  const cases: [string, CsvHeader | undefined][] = [
    ['## time,weight, temperature', { fields: ['time', 'weight', 'temperature'] }],
    ['##weight;humidity', { fields: ['weight', 'humidity'] }],
    ['## Date,weight', { fields: ['time', 'weight'] }],
    ['## time,timestamp', { fields: ['time', 'timestamp'] }],
    ['Date/Time,Weight', { fields: ['time', 'Weight'] }],
    ['Datum/Zeit;Gewicht', { fields: ['time', 'Gewicht'] }],
    ['sensor_id;location;timestamp;P1', { fields: ['sensor_id', 'location', 'time', 'P1'] }],
    [
      'Datum,Uhrzeit,Gewicht',
      { fields: ['Datum', 'Uhrzeit', 'Gewicht'], fuse: { date: 'Datum', time: 'Uhrzeit', zone: 'Z' } },
    ],
    [
      'Date;Time;Weight',
      { fields: ['Date', 'Time', 'Weight'], fuse: { date: 'Date', time: 'Time', zone: 'Z' } },
    ],
    // The variometer layout Kotori reads ('Date;Time' anywhere; the line ends in a separator).
    [
      'Runtime;BatVolt;batPercent;Date;Time;Startflag;alt[ft];Envelope Temp[Deg];Lon[deg];',
      {
        fields: [
          'Runtime',
          'BatVolt',
          'batPercent',
          'Date',
          'Time',
          'Startflag',
          'alt[ft]',
          'Envelope Temp[Deg]',
          'Lon[deg]',
        ],
        fuse: { date: 'Date', time: 'Time', zone: 'Z' },
      },
    ],
    [
      'Runtime,Date,Time',
      { fields: ['Runtime', 'Date', 'Time'], fuse: { date: 'Date', time: 'Time', zone: 'Z' } },
    ],
    ['## time,weight;', { fields: ['time', 'weight'] }],
    ['Date/Time;Weight;;', { fields: ['time', 'Weight'] }],
    ['Runtime;Time;Date', undefined],
    ['Runtime;Date', undefined],
    ['1,2,3', undefined],
    ['2020-03-10T00:00:00Z,1', undefined],
    ['weight,temperature', undefined],
  ];
  for (const [line, header] of cases) {
    it(`${JSON.stringify(line)}`, () => {
      expect(csvHeaderFromLine(line)).to.deep.equal(header);
    });
  }

  it('refuses empty and repeated field names', () => {
    expect(() => csvHeaderFromLine('## a,,b')).to.throw(DecodeError, 'CSV header: field 2 has no name');
    expect(() => csvHeaderFromLine('## a,b,a')).to.throw(DecodeError, "CSV header: field 'a' is named twice");
  });
});

describe('csvReadings', () => {
  it('maps rows to the header, an empty cell is no value, columns never shift', async () => {
    const result = await csvReadings(
      linesOf('## time,a,b,c\n2020-03-10T00:00:00Z,1,,3\n\n2020-03-10T00:01:00Z,,2'),
      undefined,
    );
    expect(result.readings).to.deep.equal([
      { time: '2020-03-10T00:00:00Z', a: '1', c: '3' },
      { time: '2020-03-10T00:01:00Z', b: '2' },
    ]);
    expect(result.header).to.deep.equal({ fields: ['time', 'a', 'b', 'c'] });
    expect(result.messages).to.deep.equal(['Received header fields ["time","a","b","c"]']);
    expect([result.where(0), result.where(1)]).to.deep.equal(['line 2', 'line 4']);
  });

  it('uses the remembered header when the body brings none', async () => {
    const result = await csvReadings(linesOf('5,6'), { fields: ['x', 'y'] });
    expect(result.readings).to.deep.equal([{ x: '5', y: '6' }]);
    expect(result.header).to.equal(undefined);
    expect(result.messages).to.deep.equal([]);
  });

  it('switches to a header that appears later in the body', async () => {
    const result = await csvReadings(linesOf('1\n## b\n2'), { fields: ['a'] });
    expect(result.readings).to.deep.equal([{ a: '1' }, { b: '2' }]);
  });

  it('fuses vendor date and time columns and reads slashed and dotted dates', async () => {
    const beelogger = await csvReadings(
      linesOf('Datum,Uhrzeit,Gewicht\n2020/3/10,9:05:00,42.1\n2020/03/10,,1'),
      undefined,
    );
    expect(beelogger.readings).to.deep.equal([
      { Gewicht: '42.1', time: '2020-03-10T09:05:00Z' },
      { Gewicht: '1', time: '2020-03-10' },
    ]);
    const generic = await csvReadings(linesOf('Date;Time;Weight\n10.03.2020;05:00:00;41'), undefined);
    expect(generic.readings).to.deep.equal([{ Weight: '41', time: '2020-03-10T05:00:00Z' }]);
    const openHive = await csvReadings(linesOf('Date/Time,Weight\n2020/03/10 4:00:00,40'), undefined);
    expect(openHive.readings).to.deep.equal([{ time: '2020-03-10 04:00:00', Weight: '40' }]);
  });

  it("reads the variometer layout as Kotori's test sends it: date and time fused anywhere, as UTC", async () => {
    const body = [
      'Runtime;BatVolt;batPercent;Date;Time;Startflag;alt[ft];Pressure[hpa];VAR[m/s];Lat[deg];',
      '05;4.0;75.67;21/09/21;07:21:55;0;2213.7;934.79; +0.0;0.000000;',
      '06;4.0;75.23;21/09/21;7:21:56;0;2213.5;934.80; +0.0;0.000000;',
      '07;3.9;75.01;02/10/2021;07:21:57;0;2213.4;934.81;-0.1;0.000000;',
    ].join('\n');
    const result = await csvReadings(linesOf(body), undefined);
    expect(result.readings[0]).to.deep.equal({
      Runtime: '05',
      BatVolt: '4.0',
      batPercent: '75.67',
      Startflag: '0',
      'alt[ft]': '2213.7',
      'Pressure[hpa]': '934.79',
      'VAR[m/s]': '+0.0',
      'Lat[deg]': '0.000000',
      time: '2021-09-21T07:21:55Z',
    });
    expect(result.readings.map((r) => r['time'])).to.deep.equal([
      '2021-09-21T07:21:55Z',
      '2021-09-21T07:21:56Z',
      '2021-10-02T07:21:57Z',
    ]);
    expect(result.messages).to.deep.equal([
      'Received header fields ["Runtime","BatVolt","batPercent","Date","Time","Startflag","alt[ft]","Pressure[hpa]","VAR[m/s]","Lat[deg]"]',
    ]);
  });

  it('keeps a column named __proto__ as a column and drops PASSKEY', async () => {
    const result = await csvReadings(linesOf('## __proto__,PASSKEY,v\nx,secret,1'), undefined);
    expect(Object.keys(result.readings[0]!)).to.deep.equal(['__proto__', 'v']);
    expect(Object.getPrototypeOf(result.readings[0])).to.equal(Object.prototype);
  });

  it('refuses rows without a header, rows wider than the header, and an empty body', async () => {
    expect(await refused(csvReadings(linesOf('\n1,2'), undefined))).to.equal(
      "line 2: no CSV header known for this channel; send the field names first, as a line like '## time,temperature,humidity'",
    );
    expect(await refused(csvReadings(linesOf('## a\n1,2'), undefined))).to.equal(
      "line 2: value '2' in column 2, but the header names 1 fields",
    );
    expect(await refused(csvReadings(linesOf('\n \n'), undefined))).to.equal('request body is empty');
    expect(await refused(csvReadings(linesOf('## a,a'), undefined))).to.equal(
      "line 1: CSV header: field 'a' is named twice",
    );
  });

  it('allows trailing empty cells beyond the header', async () => {
    const result = await csvReadings(linesOf('## a\n1,,'), undefined);
    expect(result.readings).to.deep.equal([{ a: '1' }]);
  });
});
