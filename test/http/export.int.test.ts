import { expect } from 'chai';
import ExcelJS from 'exceljs';
import { ApiStack } from './harness.js';

const WAN = `[wan]
type = application
realm = wan
application = mqttkit
http_api = true
hide_inactive_after_days = 7
`;
const LAN = `[lan]
type = application
realm = lan
application = basic
http_api = true
`;
const QUIET = `[quiet]
type = application
realm = quiet
application = mqttkit
`;
const HIVEEYES = `[hiveeyes]
type        = vendor
realm       = hiveeyes

[hiveeyes.http-acquisition]
type            = application
application     = kotori.io.protocol.forwarder:boot
realm           = hiveeyes
source          = http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]
target          = mqtt:/hiveeyes/{address}/{slot}.json

[hiveeyes.data-export]
type            = application
application     = kotori.io.protocol.forwarder:boot
realm           = hiveeyes
source          = http:/api/{realm:hiveeyes}/{network:.*}/{gateway:.*}/{node:.*}/{slot:(data|event)}.{suffix} [GET]
target          = influxdb:/{database}?measurement={measurement}
`;

/** 2020-03-10T00:00:00Z in nanoseconds. */
const T0 = 1583798400n * 1_000_000_000n;
const MINUTE = 60n * 1_000_000_000n;
const HOUR = 60n * MINUTE;
const RANGE = 'from=2020-03-10T00:00:00Z&to=2020-03-10T00:10:00Z';
const NODE = '/api/wan/exp/gw/node';

describe('HTTP export (real influxd, daqd process)', function () {
  this.timeout(60_000);
  const stack = new ApiStack({ wan: WAN, lan: LAN, quiet: QUIET, hiveeyes: HIVEEYES });
  let now: bigint;

  async function text(path: string): Promise<{ status: number; type: string; body: string; res: Response }> {
    const res = await stack.fetch(path);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text(), res };
  }

  async function json(path: string): Promise<Record<string, unknown>[]> {
    const res = await stack.fetch(path);
    const body = await res.text();
    expect(res.status, body).to.equal(200);
    return JSON.parse(body) as Record<string, unknown>[];
  }

  before(async () => {
    await stack.start();
    now = BigInt(Date.now()) * 1_000_000n;
    const temperatures = ['temperature=20,', '', 'temperature=22,', '', 'temperature=24,'];
    const old = temperatures.map(
      (t, i) =>
        `gw_node_sensors,sensor_id=abc ${t}humidity=${50 + i}${i === 0 ? ',label="a,b"' : ''} ${T0 + BigInt(i) * MINUTE}`,
    );
    const recent = [3n, 2n, 1n].map(
      (h, i) => `gw_node_sensors,sensor_id=abc temperature=${30 + i},humidity=${60 + i} ${now - h * HOUR}`,
    );
    await stack.writeLines(
      'wan_exp',
      [
        ...old,
        ...recent,
        `gw_node_events title="Swarm",text="Queen <left> & gone" ${T0}`,
        `old_node_sensors temperature=5 ${T0}`,
      ].join('\n'),
    );
    await stack.writeLines(
      'lan_node_9',
      `sensors temperature=19.5 ${T0}\nsensors temperature=19.75 ${T0 + MINUTE}`,
    );
  });
  after(() => stack.stop());

  describe('formats', () => {
    it('csv: header, ISO 8601 UTC times, quoting, Kotori-style file name', async () => {
      const { status, type, body, res } = await text(`${NODE}/data.csv?${RANGE}`);
      expect(status).to.equal(200);
      expect(type).to.match(/^text\/csv/);
      expect(res.headers.get('content-disposition')).to.equal(
        'inline; filename="exp_gw_node_20200310T000000Z_20200310T001000Z.csv"',
      );
      expect(body.split('\n')).to.deep.equal([
        'time,humidity,label,temperature,sensor_id',
        '2020-03-10T00:00:00Z,50,"a,b",20,abc',
        '2020-03-10T00:01:00Z,51,,,abc',
        '2020-03-10T00:02:00Z,52,,22,abc',
        '2020-03-10T00:03:00Z,53,,,abc',
        '2020-03-10T00:04:00Z,54,,24,abc',
        '',
      ]);
      expect((await text(`${NODE}/data.txt?${RANGE}`)).body).to.equal(body);
      expect((await text(`${NODE}/data.txt?${RANGE}`)).type).to.match(/^text\/plain/);
    });

    it('tsv, json (an array of row objects) and ndjson', async () => {
      const tsv = await text(`${NODE}/data.tsv?${RANGE}&include=humidity`);
      expect(tsv.body.split('\n').slice(0, 2)).to.deep.equal(['time\thumidity', '2020-03-10T00:00:00Z\t50']);
      const rows = await json(`${NODE}/data.json?${RANGE}`);
      expect(rows).to.have.length(5);
      expect(rows[0]).to.deep.equal({
        time: '2020-03-10T00:00:00Z',
        humidity: 50,
        label: 'a,b',
        temperature: 20,
        sensor_id: 'abc',
      });
      expect(rows[1]).to.include({ time: '2020-03-10T00:01:00Z', temperature: null });
      const nd = await text(`${NODE}/data.ndjson?${RANGE}`);
      const lines = nd.body.trim().split('\n');
      expect(lines).to.have.length(5);
      expect(JSON.parse(lines[4]!)).to.include({ time: '2020-03-10T00:04:00Z', temperature: 24 });
    });

    it('html: a page with the values in a table, escaped', async () => {
      const { status, type, body } = await text(`${NODE}/data.html?${RANGE}`);
      expect(status).to.equal(200);
      expect(type).to.match(/^text\/html/);
      expect(body).to.match(/<table>[\s\S]*<th>temperature<\/th>[\s\S]*<\/table>/);
      expect(body).to.contain(
        '<tr><td>2020-03-10T00:02:00Z</td><td>52</td><td></td><td>22</td><td>abc</td></tr>',
      );
      const events = await text(`${NODE}/event.html?${RANGE}`);
      expect(events.body).to.contain('<td>Queen &lt;left&gt; &amp; gone</td>');
    });

    it('xlsx: a real workbook', async () => {
      const res = await stack.fetch(`${NODE}/data.xlsx?${RANGE}`);
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-disposition')).to.match(/^attachment; filename=".*\.xlsx"$/);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load((await res.arrayBuffer()) as ExcelJS.Buffer);
      const sheet = workbook.worksheets[0]!;
      expect(sheet.getRow(1).values).to.deep.equal([
        undefined,
        'time',
        'time_iso',
        'humidity',
        'label',
        'temperature',
        'sensor_id',
      ]);
      expect(sheet.getRow(4).getCell(2).value).to.equal('2020-03-10T00:02:00Z');
      expect(sheet.getRow(4).getCell(5).value).to.equal(22);
      expect(sheet.rowCount).to.equal(6);
    });

    it('lp: line protocol that InfluxDB re-imports', async () => {
      const { status, body } = await text(`${NODE}/data.lp?${RANGE}`);
      expect(status).to.equal(200);
      expect(body.split('\n')[0]).to.equal(
        `gw_node_sensors,sensor_id=abc humidity=50,label="a,b",temperature=20 ${T0}`,
      );
      await stack.writeLines('reimport', body);
      const back = await stack.select('reimport', 'gw_node_sensors');
      const original = (await stack.select('wan_exp', 'gw_node_sensors')).filter((r) =>
        String(r['time']).startsWith('2020'),
      );
      expect(back).to.deep.equal(original);
    });

    it('answers an unknown suffix with 400 naming the known ones', async () => {
      const res = await stack.fetch(`${NODE}/data.pdf`);
      expect(res.status).to.equal(400);
      expect(((await res.json()) as { message: string }).message).to.equal(
        "unknown export format 'pdf'; known formats: csv, html, json, lp, ndjson, tsv, txt, xlsx",
      );
    });

    it('HEAD answers the headers without a body', async () => {
      const res = await stack.fetch(`${NODE}/data.csv?${RANGE}`, { method: 'HEAD' });
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/csv/);
      expect(await res.text()).to.equal('');
    });
  });

  describe('parameters', () => {
    const times = async (query: string) => (await json(`${NODE}/data.json?${query}`)).map((r) => r['time']);

    it('reads from/to in every accepted form (a date-only `to` is the end of that day)', async () => {
      const minutes = (...m: number[]) => m.map((i) => `2020-03-10T00:0${i}:00Z`);
      expect(await times('from=2020-03-10T01:01:00%2B01:00&to=2020-03-10T01:03:00%2B01:00')).to.deep.equal(
        minutes(1, 2, 3),
      );
      expect(await times('from=20200310&to=20200310')).to.deep.equal(minutes(0, 1, 2, 3, 4));
      expect(await times('from=2020-03-10&to=2020-03-10')).to.deep.equal(minutes(0, 1, 2, 3, 4));
      expect(await times('from=20200310T000200Z&to=20200310T000400Z')).to.deep.equal(minutes(2, 3, 4));
      expect(await times('from=1583798400&to=1583798520')).to.deep.equal(minutes(0, 1, 2));
      expect(await times('from=1583798460000&to=1583798520000')).to.deep.equal(minutes(1, 2));
    });

    it('defaults to now-10d … now and reads relative times', async () => {
      const all = await times('');
      // The three recent rows (1, 2, 3 hours ago); the 2020 rows are outside the default range.
      expect(all).to.have.length(3);
      for (const [i, t] of all.entries()) {
        const ago = Number(now / 1_000_000n) - Date.parse(String(t));
        expect(ago).to.be.closeTo((3 - i) * 3_600_000, 1000);
      }
      expect(await times('from=now-2h30m')).to.deep.equal(all.slice(1));
      expect(await times('from=now-1w2d3h&to=now-90m')).to.deep.equal(all.slice(0, 2));
    });

    it('refuses times it does not understand, never evaluating them', async () => {
      for (const query of [
        'from=process.exit(1)',
        'from=now-1y',
        'to=2020-13-45',
        'from=now&to=now-1d',
        'from=1%2B1',
      ]) {
        const res = await stack.fetch(`${NODE}/data.json?${query}`);
        expect(res.status, query).to.equal(400);
        expect(((await res.json()) as { type: string }).type).to.equal('error');
      }
      expect((await stack.fetch('/health')).status).to.equal(200);
    });

    it('include / exclude columns (unknown names are no error)', async () => {
      expect(
        Object.keys((await json(`${NODE}/data.json?${RANGE}&include=temperature,nonexistent`))[0]!),
      ).to.deep.equal(['time', 'temperature']);
      expect(
        Object.keys((await json(`${NODE}/data.json?${RANGE}&exclude=label,sensor_id,unknown`))[0]!),
      ).to.deep.equal(['time', 'humidity', 'temperature']);
    });

    it('sort by time or any column, direction asc/desc/ascending/descending (as Kotori)', async () => {
      const desc = await times(`${RANGE}&sort=time&direction=desc`);
      expect(desc).to.deep.equal([...(await times(RANGE))].reverse());
      expect(await times(`${RANGE}&direction=desc`)).to.deep.equal(desc);
      expect(await times(`${RANGE}&sort=time&direction=descending`)).to.deep.equal(desc);
      expect(await times(`${RANGE}&direction=ascending`)).to.deep.equal([...desc].reverse());
      // temperature 20, -, 22, -, 24 at minutes 0…4: sorted by value, rows without one last.
      const m = (...i: number[]) => i.map((n) => `2020-03-10T00:0${n}:00Z`);
      expect(await times(`${RANGE}&sort=temperature&direction=descending`)).to.deep.equal(m(4, 2, 0, 1, 3));
      expect(await times(`${RANGE}&sort=temperature,humidity&direction=desc&limit=2`)).to.deep.equal(m(4, 2));
      expect(await times(`${RANGE}&sort=temperature`)).to.deep.equal(m(0, 2, 4, 1, 3));
      const rows = await json(`${NODE}/data.json?${RANGE}&sort=humidity&direction=desc`);
      expect(rows.map((r) => r['humidity'])).to.deep.equal([54, 53, 52, 51, 50]);
      const unknown = await stack.fetch(`${NODE}/data.json?${RANGE}&sort=weight`);
      expect(unknown.status).to.equal(400);
      expect(((await unknown.json()) as { message: string }).message).to.match(/cannot sort by 'weight'/);
      expect((await stack.fetch(`${NODE}/data.json?${RANGE}&direction=sideways`)).status).to.equal(400);
      // Kotori's docs: the newest value by sort=time&direction=desc&scalar=…; by another column too.
      const scalar = await text(`${NODE}/data.txt?${RANGE}&sort=humidity&direction=asc&scalar=temperature`);
      expect([scalar.status, scalar.body]).to.deep.equal([200, '20']);
    });

    it('exclude=time: only the remaining columns, in every format with columns', async () => {
      const query = `${RANGE}&include=humidity,temperature&exclude=time`;
      const csv = await text(`${NODE}/data.csv?${query}`);
      expect(csv.body.split('\n').slice(0, 3)).to.deep.equal(['humidity,temperature', '50,20', '51,']);
      const tsv = await text(`${NODE}/data.tsv?${query}`);
      expect(tsv.body.split('\n')[0]).to.equal('humidity\ttemperature');
      expect((await json(`${NODE}/data.json?${query}`))[0]).to.deep.equal({ humidity: 50, temperature: 20 });
      const nd = await text(`${NODE}/data.ndjson?${query}`);
      expect(JSON.parse(nd.body.split('\n')[0]!)).to.deep.equal({ humidity: 50, temperature: 20 });
      const html = await text(`${NODE}/data.html?${query}`);
      expect(html.body).to.contain('<thead><tr><th>humidity</th><th>temperature</th></tr></thead>');
      const xlsx = await stack.fetch(`${NODE}/data.xlsx?${query}`);
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(await xlsx.arrayBuffer());
      expect((workbook.worksheets[0]!.getRow(1).values as unknown[]).slice(1)).to.deep.equal([
        'humidity',
        'temperature',
      ]);
    });

    it('compact times with an offset, as Kotori documents them (20160626T124259+0200)', async () => {
      // 01:01 … 01:03 at +01:00 are 00:01 … 00:03 UTC; `+` must be sent as %2B, a bare one reads as a space.
      const expected = [1, 2, 3].map((n) => `2020-03-10T00:0${n}:00Z`);
      expect(await times('from=20200310T010100%2B0100&to=20200310T010300%2B01')).to.deep.equal(expected);
      expect(await times('from=20200310T010100+0100&to=20200310T010300+01:00')).to.deep.equal(expected);
      expect(await times('from=20200309T190100-0500&to=20200310T000300Z')).to.deep.equal(expected);
    });

    it('limit, and last=N for the newest rows, newest first', async () => {
      expect(await times(`${RANGE}&limit=2`)).to.have.length(2);
      for (const bad of ['limit=0', 'limit=abc', 'limit=-1', 'last=0', 'last=2&limit=1']) {
        expect((await stack.fetch(`${NODE}/data.json?${bad}`)).status, bad).to.equal(400);
      }
      const last = await json(`${NODE}/data.json?last=2`);
      expect(last.map((r) => r['temperature'])).to.deep.equal([32, 31]);
      const lastOld = await json(`${NODE}/data.json?last=1&to=2020-03-10T00:02:30Z`);
      expect(lastOld.map((r) => r['time'])).to.deep.equal(['2020-03-10T00:02:00Z']);
    });

    it('scalar=<field>: the first value as plain text', async () => {
      const first = await text(`${NODE}/data.txt?${RANGE}&scalar=humidity`);
      expect(first.status).to.equal(200);
      expect(first.type).to.match(/^text\/plain/);
      expect(first.body).to.equal('50');
      expect((await text(`${NODE}/data.txt?${RANGE}&scalar=humidity&direction=desc`)).body).to.equal('54');
      expect((await text(`${NODE}/data.txt?last=1&scalar=temperature`)).body).to.equal('32');
      expect((await stack.fetch(`${NODE}/data.txt?${RANGE}&scalar=nonexistent`)).status).to.equal(404);
    });

    it('pad / backfill / interpolate fill the gaps', async () => {
      const temperature = async (fill: string) =>
        (await json(`${NODE}/data.json?${RANGE}&${fill}`)).map((r) => r['temperature']);
      expect(await temperature('pad=true')).to.deep.equal([20, 20, 22, 22, 24]);
      expect(await temperature('backfill=1')).to.deep.equal([20, 22, 22, 24, 24]);
      expect(await temperature('interpolate')).to.deep.equal([20, 21, 22, 23, 24]);
      expect(await temperature('pad=false')).to.deep.equal([20, null, 22, null, 24]);
      expect((await stack.fetch(`${NODE}/data.json?${RANGE}&pad=maybe`)).status).to.equal(400);
    });
  });

  it('answers 404 with a short explanation when there are no rows', async () => {
    const empty = await text(`${NODE}/data.csv?from=2019-01-01&to=2019-01-02`);
    expect(empty.status).to.equal(404);
    expect(empty.type).to.match(/^text\/plain/);
    expect(empty.body).to.contain("No data in database 'wan_exp', measurement 'gw_node_sensors'");
    expect(empty.body).to.contain('from 2019-01-01T00:00:00Z to 2019-01-02T23:59:59.999999999Z');
    expect(empty.body).to.contain('?from=now-1h');
    expect(empty.body).to.contain('?from=2026-01-01&to=2026-01-31');
    expect((await text(`${NODE.replace('node', 'nobody')}/data.csv`)).status).to.equal(404);
  });

  it('exports events, LAN nodes and realms whose export is a Kotori forwarder', async () => {
    const [event] = await json(`${NODE}/event.json?${RANGE}`);
    expect(event).to.deep.equal({
      time: '2020-03-10T00:00:00Z',
      text: 'Queen <left> & gone',
      title: 'Swarm',
    });
    const lan = await text('/api/lan/node-9/data.csv?from=20200310&to=20200310');
    expect(lan.body).to.equal('time,temperature\n2020-03-10T00:00:00Z,19.5\n2020-03-10T00:01:00Z,19.75\n');
    expect(lan.res.headers.get('content-disposition')).to.contain(
      'filename="node_9_20200310T000000Z_20200310T235959Z.csv"',
    );
    expect(
      (await stack.post('/api/hiveeyes/testdrive/hive/scale/data', 'application/json', '{"weight": 40.5}'))
        .status,
    ).to.equal(200);
    expect((await json('/api/hiveeyes/testdrive/hive/scale/data.json'))[0]).to.include({ weight: 40.5 });
    const quiet = await stack.fetch('/api/quiet/a/b/c/data.csv');
    expect(quiet.status).to.equal(404);
  });

  it('latest: the newest reading of every node, inactive ones hidden unless all=true', async () => {
    const res = await stack.fetch('/api/wan/exp/latest');
    expect(res.status).to.equal(200);
    expect(res.headers.get('hidden-nodes')).to.equal('1');
    const nodes = (await res.json()) as { node: string; time: string; data: Record<string, unknown> }[];
    expect(nodes.map((n) => n.node)).to.deep.equal(['gw_node']);
    expect(nodes[0]?.data).to.deep.equal({ humidity: 62, temperature: 32, sensor_id: 'abc' });
    const all = (await json('/api/wan/exp/latest?all=true')) as unknown as { node: string; data: object }[];
    expect(all.map((n) => n.node)).to.deep.equal(['gw_node', 'old_node']);
    expect(all[1]?.data).to.deep.equal({ temperature: 5 });
    expect((await stack.fetch('/api/wan/nowhere/latest')).status).to.equal(404);
  });

  it('cannot be made to inject InfluxQL through a path segment or include', async () => {
    const before = await stack.select('wan_exp', 'gw_node_sensors');
    const gateway = encodeURIComponent('gw"; DROP DATABASE "wan_exp');
    const viaPath = await stack.fetch(`/api/wan/exp/${gateway}/node/data.csv?from=2020-01-01`);
    expect(viaPath.status).to.equal(404);
    const network = encodeURIComponent('exp"; DROP DATABASE "wan_exp');
    expect((await stack.fetch(`/api/wan/${network}/gw/node/data.csv`)).status).to.equal(400);
    const include = encodeURIComponent('temperature" FROM "x"; DROP DATABASE "wan_exp');
    expect((await stack.fetch(`${NODE}/data.csv?${RANGE}&include=${include}`)).status).to.equal(404);
    const exclude = encodeURIComponent('humidity\' OR 1=1; DROP DATABASE "wan_exp');
    expect((await stack.fetch(`${NODE}/data.csv?${RANGE}&exclude=${exclude}`)).status).to.equal(200);
    expect(await stack.databases()).to.include('wan_exp');
    expect(await stack.select('wan_exp', 'gw_node_sensors')).to.deep.equal(before);
  });

  it('/health and /metrics', async () => {
    const health = (await (await stack.fetch('/health')).json()) as Record<string, unknown>;
    expect(health).to.include.keys('ok', 'broker', 'storage', 'realms');
    expect(health['ok']).to.equal(true);
    await stack.post('/api/wan/exp/gw/metrics/data', 'application/json', '{"v": 1}');
    const res = await stack.fetch('/metrics');
    expect(res.headers.get('content-type')).to.match(/^text\/plain/);
    const metrics = await res.text();
    expect(metrics).to.match(/^daqd_readings_received_total\{realm="wan"\} [1-9]/m);
    expect(metrics).to.match(/^daqd_readings_stored_total\{realm="wan"\} [1-9]/m);
    expect(metrics).to.match(/^daqd_readings_failed_total\{realm="wan"\} \d+/m);
    expect(metrics).to.match(/^daqd_storage_queue_depth \d+/m);
    expect(metrics).to.match(/^daqd_http_ingest_duration_seconds_count\{realm="wan"\} [1-9]/m);
    expect(metrics).to.match(/^daqd_storage_write_duration_seconds_count\{outcome="ok"\} [1-9]/m);
    expect(metrics).to.match(/^daqd_http_requests_total\{route="export",status="200"\} [1-9]/m);
    expect(metrics).to.match(/^process_resident_memory_bytes \d+/m);
  });
});
