import { expect } from 'chai';
import { parseCsvFields } from '../../../lib/acquire/decode/csv-lines.js';
import type { CsvColumn } from '../../../lib/acquire/decode/decoder.js';
import { decodePolledBody } from '../../../lib/acquire/decode/polled-body.js';
import { DecodeError } from '../../../lib/core/errors.js';

const isems = (parseCsvFields('isems') as { columns: CsvColumn[] }).columns;
const LINE =
  'Elektra-Dach;1;1530364575;ATmega8_A_1;711;0;18.614;18.614;14.073;100;100;28;11.67;14.086;7;20;52.507309;13.458635;300';

describe('acquire/decode/polled-body', () => {
  it('reads csv_fields lines, leaving out those with another field count', async () => {
    const body = Buffer.from(`${LINE}\nbroken;line\n\n${LINE.replace('1530364575', '1530364576')}\n`);
    const { readings, skipped } = await decodePolledBody(body, 'text/plain', { csv_fields: isems });
    expect(readings.map((r) => r['timestamp'])).to.deep.equal(['1530364575', '1530364576']);
    expect(readings[0]).to.include({ nodeId: 'Elektra-Dach', status: 0x300 });
    expect(skipped).to.deep.equal(['line 2: 2 fields, expected 18 to 19']);
  });

  it('reads an empty body as no readings', async () => {
    expect(await decodePolledBody(Buffer.from('\n \n'), undefined, { csv_fields: isems })).to.deep.equal({
      readings: [],
      skipped: [],
    });
  });

  it('reads JSON, CSV with a header, NDJSON and line protocol by Content-Type', async () => {
    const json = await decodePolledBody(
      Buffer.from('[{"t": 1}, {"t": 2}]'),
      'application/json; charset=utf-8',
      {},
    );
    expect(json.readings).to.deep.equal([{ t: 1 }, { t: 2 }]);
    const csv = await decodePolledBody(Buffer.from('## time,t\n2026-12-02T10:00:00Z,21.5\n'), 'text/csv', {});
    expect(csv.readings).to.have.length(1);
    expect(csv.readings[0]).to.include({ t: '21.5' });
    const ndjson = await decodePolledBody(Buffer.from('{"t": 1}\n{"t": 2}\n'), 'application/x-ndjson', {});
    expect(ndjson.readings).to.deep.equal([{ t: 1 }, { t: 2 }]);
    const lp = await decodePolledBody(Buffer.from('m,node=a t=1.5 1530364575000000000\n'), 'text/plain', {});
    expect(lp.readings).to.deep.equal([{ node: 'a', t: 1.5, time: '2018-06-30T13:16:15.000000000Z' }]);
  });

  it('reads the body with the app decoder whatever its Content-Type', async () => {
    const lp = await decodePolledBody(
      Buffer.from('m t=2 1530364575000000000\n'),
      'application/octet-stream',
      {
        decoder: 'line-protocol',
      },
    );
    expect(lp.readings).to.deep.equal([{ t: 2, time: '2018-06-30T13:16:15.000000000Z' }]);
    const plain = await decodePolledBody(Buffer.from('21.5'), 'application/octet-stream', {
      decoder: 'plain-value',
    });
    expect(plain.readings).to.deep.equal([{ body: 21.5 }]);
  });

  it('refuses a Content-Type no decoder reads, and a body with no good line, as DecodeError', async () => {
    let caught: unknown;
    try {
      await decodePolledBody(Buffer.from('<html></html>'), 'text/html', {});
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(DecodeError);
    expect((caught as Error).message).to.match(
      /^Content-Type 'text\/html' is not one daqd reads \(application\/json/,
    );
    caught = undefined;
    try {
      await decodePolledBody(Buffer.from('a;b\nc;d\n'), 'text/plain', { csv_fields: isems });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(DecodeError);
    expect((caught as Error).message).to.match(/no good line \(2 skipped; line 1: 2 fields/);
  });
});
