import http from 'node:http';
import { expect } from 'chai';
import { lpFormat } from '../../../lib/export/format/lp.js';
import { type InfluxdProcess, startInfluxd } from '../../support/influxd.js';
import { renderText, resultOf, SAMPLE_META, sample } from './fixture.js';

const SAMPLE_LP =
  'area_42_node_1_sensors,station=a temperature=21.5,humidity=48,note="plain",ok=true 1583810982123456789\n' +
  'area_42_node_1_sensors,station=b humidity=49.25,note="has, comma",ok=false 1583810983000000000\n' +
  'area_42_node_1_sensors,station=a\\ b temperature=-3,note="say \\"hi\\"\nnext\\\\line" 1583810984500000000\n';

/** One HTTP request without keep-alive (so no socket outlives the test); resolves with status and body. */
function request(url: string, method: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('lpFormat', () => {
  it('renders one line per row: tags from meta.tagColumns, fields, time in nanoseconds', async () => {
    expect(await renderText(lpFormat, sample())).to.equal(SAMPLE_LP);
  });

  it('escapes measurement, tag keys and values, field keys and string values per the spec', async () => {
    const result = resultOf(['tag key,=', 'field key,=', 'text'], [[1n, 'v, =', 1.5, 'back\\slash "q"']]);
    const text = await renderText(lpFormat, result, {
      measurement: 'my measurement,with=equals',
      tagColumns: ['tag key,='],
      title: 't',
    });
    expect(text).to.equal(
      'my\\ measurement\\,with=equals,tag\\ key\\,\\==v\\,\\ \\= field\\ key\\,\\==1.5,text="back\\\\slash \\"q\\"" 1\n',
    );
  });

  it('sorts tags by key, leaves out null and empty tags and null fields, skips rows without fields', async () => {
    const result = resultOf(
      ['z', 'value', 'a', 'm'],
      [
        [1n, 'zz', 1, 'aa', null],
        [2n, '', 2, null, 'mm'],
        [3n, 'zz', null, 'aa', null],
        [4n, null, Number.NaN, null, null],
        [5n, null, 3, null, null],
      ],
    );
    const text = await renderText(lpFormat, result, {
      measurement: 'm',
      tagColumns: ['z', 'a', 'm'],
      title: 't',
    });
    expect(text).to.equal('m,a=aa,z=zz value=1 1\nm,m=mm value=2 2\nm value=3 5\n');
  });

  it('writes numbers as floats (no i suffix) and booleans as true/false', async () => {
    const result = resultOf(['i', 'f', 'big', 'b'], [[0n, 42, 0.25, 1e21, false]]);
    const text = await renderText(lpFormat, result, { measurement: 'm', tagColumns: [], title: 't' });
    expect(text).to.equal('m i=42,f=0.25,big=1e+21,b=false 0\n');
  });

  describe('re-import into a real influxd', function () {
    this.timeout(60_000);
    let influxd: InfluxdProcess | undefined;

    before(async () => {
      influxd = await startInfluxd();
    });

    after(async () => {
      await influxd?.stop();
    });

    it('stores exactly the rows that were exported, nanoseconds included', async () => {
      const server = influxd!;
      await server.query('CREATE DATABASE lp_roundtrip');
      const text = await renderText(lpFormat, sample(), { ...SAMPLE_META, measurement: 'node 1,sensors' });
      const written = await request(`${server.url}/write?db=lp_roundtrip&precision=ns`, 'POST', text);
      expect(written.status, written.body).to.equal(204);

      const query = encodeURIComponent('SELECT * FROM "node 1,sensors" ORDER BY time');
      const answer = await request(`${server.url}/query?db=lp_roundtrip&epoch=ns&q=${query}`, 'GET');
      const series = JSON.parse(answer.body).results[0].series[0];
      expect(series.name).to.equal('node 1,sensors');
      // JSON numbers cannot hold nanoseconds exactly: the times are compared as text below.
      const rows = series.values.map((values: unknown[]) =>
        Object.fromEntries(
          series.columns
            .map((column: string, i: number) => [column, values[i]])
            .filter(([column]: [string]) => column !== 'time'),
        ),
      );
      expect(rows).to.deep.equal([
        { humidity: 48, note: 'plain', ok: true, station: 'a', temperature: 21.5 },
        {
          humidity: 49.25,
          note: 'has, comma',
          ok: false,
          station: 'b',
          temperature: null,
        },
        {
          humidity: null,
          note: 'say "hi"\nnext\\line',
          ok: null,
          station: 'a b',
          temperature: -3,
        },
      ]);
      const times = [...answer.body.matchAll(/\[(\d{19}),/g)].map((match) => match[1]);
      expect(times).to.deep.equal(['1583810982123456789', '1583810983000000000', '1583810984500000000']);
    });
  });
});
