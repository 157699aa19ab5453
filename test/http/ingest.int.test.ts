import http from 'node:http';
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { ApiStack, rawRequest } from './harness.js';

const WAN = `[wan]
type = application
realm = wan
application = mqttkit
http_api = true
direct_channel_allowed_networks = itest, testdrive
`;
const LAN = `[lan]
type = application
realm = lan
application = kotori.daq.application.basic:application
http_api = true
`;
const QUIET = `[quiet]
type = application
realm = quiet
application = mqttkit
`;
// Kotori's own hiveeyes app: the vendor section plus its HTTP forwarders.
const HIVEEYES = `[hiveeyes]
enable      = true
type        = vendor
realm       = hiveeyes
mqtt_topics = hiveeyes/#

[hiveeyes.http-acquisition]
enable          = true
type            = application
application     = kotori.io.protocol.forwarder:boot
realm           = hiveeyes
source          = http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]
target          = mqtt:/hiveeyes/{address}/{slot}.json

[hiveeyes.data-export]
enable          = true
type            = application
application     = kotori.io.protocol.forwarder:boot
realm           = hiveeyes
source          = http:/api/{realm:hiveeyes}/{network:.*}/{gateway:.*}/{node:.*}/{slot:(data|event)}.{suffix} [GET]
target          = influxdb:/{database}?measurement={measurement}
`;
// A forwarder whose topic template is not the usual one: the template decides where readings go.
const CUSTOM = `[custom]
type = application
realm = custom
application = mqttkit

[custom.http]
type = application
application = kotori.io.protocol.forwarder:boot
realm = custom
source = http:/api/custom/{node}/{slot:(data|event)} [POST]
target = mqtt:/custom/site/gw/{node}/{slot}.json
`;

type Message = { type: string; message: string };

describe('HTTP ingest (real influxd and mosquitto, daqd process)', function () {
  this.timeout(60_000);
  const stack = new ApiStack({ wan: WAN, lan: LAN, quiet: QUIET, hiveeyes: HIVEEYES, custom: CUSTOM });

  before(() => stack.start());
  after(() => stack.stop());

  async function expectError(res: Response, status: number, message: RegExp): Promise<void> {
    const text = await res.text();
    expect(res.status, text).to.equal(status);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    const body = JSON.parse(text) as Message;
    expect(body.type).to.equal('error');
    expect(body.message).to.match(message);
  }

  it('stores a JSON reading and answers as Kotori does, once it is stored', async () => {
    const before = Date.now();
    const res = await stack.post(
      '/api/wan/testdrive/area-42/node-1/data',
      'application/json',
      JSON.stringify({ temperature: 21.5, humidity: '55.2', ok: true }),
    );
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^application\/json/);
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    // No waiting: the answer comes only after the write.
    const rows = await stack.select('wan_testdrive', 'area_42_node_1_sensors');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ temperature: 21.5, humidity: 55.2, ok: 1 });
    // No timestamp in the reading: it gets the time the request arrived.
    expect(Date.parse(String(rows[0]?.['time']))).to.be.within(before - 1000, Date.now() + 1000);
  });

  it('stores a bulk JSON array with a timestamp per item', async () => {
    const res = await stack.post(
      '/api/wan/testdrive/gw/bulk/data',
      'application/json; charset=utf-8',
      JSON.stringify([
        { time: '2020-03-10T03:29:42Z', v: 1 },
        { timestamp: 1583810983000, v: 2 },
        { datetime: '1583810984.5', v: 3 },
        { time: '2020-03-10 04:29:45+01:00', v: 4 },
        { v: 5 },
      ]),
    );
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #5 readings' }]);
    const rows = await stack.select('wan_testdrive', 'gw_bulk_sensors');
    expect(rows.slice(0, 4).map((r) => [r['time'], r['v']])).to.deep.equal([
      ['2020-03-10T03:29:42Z', 1],
      ['2020-03-10T03:29:43Z', 2],
      ['2020-03-10T03:29:44.5Z', 3],
      ['2020-03-10T03:29:45Z', 4],
    ]);
    expect(rows[4]?.['v']).to.equal(5);
    expect(Date.parse(String(rows[4]?.['time']))).to.be.closeTo(Date.now(), 60_000);
  });

  it('stores a form body, its values read as numbers, without Ecowitt’s PASSKEY', async () => {
    const res = await stack.post(
      '/api/wan/testdrive/ecowitt/station/data',
      'application/x-www-form-urlencoded',
      'PASSKEY=SECRET123&stationtype=EasyWeatherV1.5.2&tempf=71.6&humidity=40&empty=&dateutc=2020-03-10+03%3A29%3A42',
    );
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    const rows = await stack.select('wan_testdrive', 'ecowitt_station_sensors');
    expect(rows).to.have.length(1);
    expect(rows[0]).to.include({ tempf: 71.6, humidity: 40, stationtype: 'EasyWeatherV1.5.2' });
    expect(rows[0]).not.to.have.any.keys('PASSKEY', 'empty');
    expect(JSON.stringify(rows)).not.to.contain('SECRET123');
  });

  it('removes PASSKEY from JSON, NDJSON and CSV bodies too', async () => {
    await stack.post('/api/wan/testdrive/gw/pk/data', 'application/json', '{"PASSKEY":"S1","v":1}');
    await stack.post('/api/wan/testdrive/gw/pk/data', 'application/x-ndjson', '{"passkey":"S2","v":2}\n');
    await stack.post('/api/wan/testdrive/gw/pk/data', 'text/csv', '## PASSKEY,v\nS3,3\n');
    const rows = await stack.select('wan_testdrive', 'gw_pk_sensors');
    expect(rows.map((r) => r['v']).sort()).to.deep.equal([1, 2, 3]);
    expect(JSON.stringify(rows)).not.to.match(/S1|S2|S3|passkey/i);
  });

  it('stores NDJSON, one reading per line', async () => {
    const res = await stack.post(
      '/api/wan/testdrive/gw/nd/data',
      'application/x-ndjson',
      '{"v":1,"time":"2020-03-10T00:00:00Z"}\n\n{"v":2,"time":"2020-03-10T00:00:01Z"}\r\n{"v":3,"time":"2020-03-10T00:00:02Z"}',
    );
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #3 readings' }]);
    expect((await stack.select('wan_testdrive', 'gw_nd_sensors')).map((r) => r['v'])).to.deep.equal([
      1, 2, 3,
    ]);
  });

  it('reads CSV: header line, both separators, trimmed cells, an empty cell as no value', async () => {
    const res = await stack.post(
      '/api/wan/testdrive/gw/csv/data',
      'text/csv',
      '## time, weight ,temperature; humidity\n2020-03-10T00:00:00Z, 42.5 ,21;55\n\n 2020-03-10T00:01:00Z;43,,56 \n',
    );
    expect(await res.json()).to.deep.equal([
      { type: 'info', message: 'Received header fields ["time","weight","temperature","humidity"]' },
      { type: 'info', message: 'Received #2 readings' },
    ]);
    const rows = await stack.select('wan_testdrive', 'gw_csv_sensors');
    expect(rows).to.deep.equal([
      { time: '2020-03-10T00:00:00Z', weight: 42.5, temperature: 21, humidity: 55 },
      { time: '2020-03-10T00:01:00Z', weight: 43, temperature: null, humidity: 56 },
    ]);
  });

  it('remembers a channel’s CSV header for later requests and across a daemon restart', async () => {
    const path = '/api/wan/testdrive/gw/remember/data';
    const first = await stack.post(path, 'text/csv', '## time,a,b\n2020-03-10T00:00:00Z,1,2\n');
    expect(first.status).to.equal(200);
    const second = await stack.post(path, 'text/csv', '2020-03-10T00:00:01Z,3,4\n');
    expect(await second.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    // The same node addressed through its channel id shares the header.
    const viaChannel = await stack.post(
      '/api/wan/channel/testdrive-gw-remember/data',
      'text/csv',
      '2020-03-10T00:00:02Z,5,6',
    );
    expect(viaChannel.status).to.equal(200);

    await stack.restartDaemon();
    const after = await stack.post(path, 'text/csv', '2020-03-10T00:00:03Z,7,8\n');
    expect(await after.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    const rows = await stack.select('wan_testdrive', 'gw_remember_sensors');
    expect(rows.map((r) => [r['a'], r['b']])).to.deep.equal([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
  });

  it('keeps every digit of timestamps given as JSON numbers: single, bulk and NDJSON bodies', async () => {
    const single = await stack.post(
      '/api/wan/testdrive/gw/num-single/data',
      'application/json',
      '{"timestamp": 1583810982123456789, "v": 1}',
    );
    expect(single.status).to.equal(200);
    await stack.post(
      '/api/wan/testdrive/gw/num-bulk/data',
      'application/json',
      '[{"time": 1583810982000000001, "v": 1}, {"time": 1583810982.000000002, "v": 2}]',
    );
    await stack.post(
      '/api/wan/testdrive/gw/num-nd/data',
      'application/x-ndjson',
      '{"time": 1583810982999999999, "v": 1}\n{"datetime": 1583810983000000001, "v": 2}\n',
    );
    const times = async (node: string) =>
      (await stack.select('wan_testdrive', `gw_${node}_sensors`)).map((r) => r['time']);
    expect(await times('num_single')).to.deep.equal(['2020-03-10T03:29:42.123456789Z']);
    expect(await times('num_bulk')).to.deep.equal([
      '2020-03-10T03:29:42.000000001Z',
      '2020-03-10T03:29:42.000000002Z',
    ]);
    expect(await times('num_nd')).to.deep.equal([
      '2020-03-10T03:29:42.999999999Z',
      '2020-03-10T03:29:43.000000001Z',
    ]);
  });

  it("reads every CSV header form Kotori's CSV reader knows, the variometer layout too", async () => {
    const forms: [node: string, body: string, time: string, field: [string, number]][] = [
      ['kf-announced', '## time,weight\n2020-03-10T03:29:42Z,40\n', '2020-03-10T03:29:42Z', ['weight', 40]],
      ['kf-openhive', 'Date/Time,Weight\n2020/03/10 03:29:42,41\n', '2020-03-10T03:29:42Z', ['Weight', 41]],
      [
        'kf-openhive-de',
        'Datum/Zeit;Gewicht\n10.03.2020 03:29:42;42\n',
        '2020-03-10T03:29:42Z',
        ['Gewicht', 42],
      ],
      [
        'kf-beelogger',
        'Datum,Uhrzeit,Gewicht\n2020/03/10,3:29:42,43\n',
        '2020-03-10T03:29:42Z',
        ['Gewicht', 43],
      ],
      [
        'kf-luftdaten',
        'sensor_id;sensor_type;location;lat;lon;timestamp;P1;P2\n1234;SDS011;567;48.8;9.1;2020-03-10T03:29:42;44;12\n',
        '2020-03-10T03:29:42Z',
        ['P1', 44],
      ],
      [
        'kf-variometer',
        // Kotori's own test body: `;`, date and time in the 4th and 5th column, lines ending in `;`.
        'Runtime;BatVolt;batPercent;Date;Time;Startflag;alt[ft];Pressure[hpa];SensorTemp[Deg];QNH[hpa];VAR[m/s];Envelope Temp[Deg];HDG[deg];GS[kt];GPS_Alt[m];Lat[deg];Lon[deg];\n' +
          '05;4.0;75.67;21/09/21;07:21:55;0;2213.7;934.79;17.03;1013.25; +0.0;0.00;  0;0.0;  0;0.000000;0.000000;\n' +
          '06;4.0;75.23;21/09/21;07:21:56;0;2213.5;934.80;17.15;1013.25; +0.0;0.00;  0;0.0;  0;0.000000;0.000000;\n',
        '2021-09-21T07:21:55Z',
        ['Pressure[hpa]', 934.79],
      ],
    ];
    for (const [node, body, time, [field, value]] of forms) {
      const res = await stack.post(`/api/wan/testdrive/gw/${node}/data`, 'text/csv', body);
      const answer = await res.text();
      expect(res.status, `${node}: ${answer}`).to.equal(200);
      const rows = await stack.select('wan_testdrive', `gw_${node.replaceAll('-', '_')}_sensors`);
      expect(rows[0]?.['time'], node).to.equal(time);
      expect(rows[0]?.[field], node).to.equal(value);
    }
    const vario = await stack.select('wan_testdrive', 'gw_kf_variometer_sensors');
    expect(vario).to.have.length(2);
    expect(vario[0]).to.deep.equal({
      time: '2021-09-21T07:21:55Z',
      BatVolt: 4,
      'Envelope Temp[Deg]': 0,
      'GPS_Alt[m]': 0,
      'GS[kt]': 0,
      'HDG[deg]': 0,
      'Lat[deg]': 0,
      'Lon[deg]': 0,
      'Pressure[hpa]': 934.79,
      'QNH[hpa]': 1013.25,
      Runtime: 5,
      'SensorTemp[Deg]': 17.03,
      Startflag: 0,
      'VAR[m/s]': 0,
      'alt[ft]': 2213.7,
      batPercent: 75.67,
    });
    expect(vario[1]?.['time']).to.equal('2021-09-21T07:21:56Z');
  });

  it('refuses CSV rows of a channel that never sent a header (400, asking for one)', async () => {
    const res = await stack.post('/api/wan/testdrive/gw/headless/data', 'text/csv', '1,2,3\n');
    await expectError(res, 400, /line 1: no CSV header known for this channel; send the field names first/);
    expect(await stack.select('wan_testdrive', 'gw_headless_sensors')).to.deep.equal([]);
  });

  it("reads Kotori's vendor CSV headers", async () => {
    // Beelogger: date and time in two columns, read as UTC (as Kotori does).
    await stack.post(
      '/api/wan/testdrive/gw/beelogger/data',
      'text/csv',
      'Datum,Uhrzeit,Gewicht\n2020/03/10,03:29:42,42.1\n',
    );
    // Open Hive: `Date/Time` is the time column.
    await stack.post(
      '/api/wan/testdrive/gw/openhive/data',
      'text/csv',
      'Date/Time,Weight\n2020/03/10 04:00:00,40\n',
    );
    // `Date;Time`: fused too, read as UTC (Kotori's rule for the variometer layout).
    await stack.post(
      '/api/wan/testdrive/gw/datetime/data',
      'text/csv',
      'Date;Time;Weight\n10.03.2020;5:00:00;41\n',
    );
    // luftdaten.info archive: `sensor_id` header, `;` separators, `timestamp` as time, sensor_id a tag.
    await stack.post(
      '/api/wan/testdrive/gw/luftdaten/data',
      'text/csv',
      'sensor_id;sensor_type;location;lat;lon;timestamp;P1;P2\n1234;SDS011;567;48.8;9.1;2020-03-10T06:00:00;12.5;7.25\n',
    );
    expect(await stack.select('wan_testdrive', 'gw_beelogger_sensors')).to.deep.equal([
      { time: '2020-03-10T03:29:42Z', Gewicht: 42.1 },
    ]);
    expect(await stack.select('wan_testdrive', 'gw_openhive_sensors')).to.deep.equal([
      { time: '2020-03-10T04:00:00Z', Weight: 40 },
    ]);
    expect(await stack.select('wan_testdrive', 'gw_datetime_sensors')).to.deep.equal([
      { time: '2020-03-10T05:00:00Z', Weight: 41 },
    ]);
    const [luftdaten] = await stack.select('wan_testdrive', 'gw_luftdaten_sensors');
    expect(luftdaten).to.include({
      time: '2020-03-10T06:00:00Z',
      P1: 12.5,
      P2: 7.25,
      sensor_id: '1234',
      lat: 48.8,
    });
  });

  it('decodes device and channel addresses as MQTT topics are, with the allow-list', async () => {
    expect((await stack.post('/api/wan/device/ESP-123/data', 'application/json', '{"v":1}')).status).to.equal(
      200,
    );
    expect(
      (await stack.post('/api/wan/channel/itest-gw-node/data', 'application/json', '{"v":2}')).status,
    ).to.equal(200);
    expect((await stack.select('wan_devices', 'default_esp_123_sensors'))[0]).to.include({ v: 1 });
    expect((await stack.select('wan_itest', 'gw_node_sensors'))[0]).to.include({ v: 2 });
    await expectError(
      await stack.post('/api/wan/channel/other-gw-node/data', 'application/json', '{"v":3}'),
      404,
      /network 'other' may not use the channel address form/,
    );
    expect(await stack.databases()).not.to.include('wan_other');
  });

  it('stores LAN readings and events (strings of events stay strings)', async () => {
    await stack.post('/api/lan/node-7/data', 'application/json', '{"temperature": 19}');
    const res = await stack.post(
      '/api/lan/node-7/event',
      'application/json',
      '{"title": "restart", "code": "42"}',
    );
    expect(res.status).to.equal(200);
    expect((await stack.select('lan_node_7', 'sensors'))[0]).to.include({ temperature: 19 });
    expect((await stack.select('lan_node_7', 'events'))[0]).to.include({ title: 'restart', code: '42' });
  });

  it('honours Kotori forwarder sections: the source pattern and the topic template', async () => {
    const custom = await stack.post('/api/custom/n1/data', 'application/json', '{"v": 7}');
    expect(await custom.json()).to.deep.equal([{ type: 'info', message: 'Received #1 readings' }]);
    expect((await stack.select('custom_site', 'gw_n1_sensors'))[0]).to.include({ v: 7 });
    // The template's address shape is the only one: the usual one does not apply to this realm.
    await expectError(
      await stack.post('/api/custom/site/gw/n1/data', 'application/json', '{"v": 8}'),
      404,
      /no such/,
    );
    const hiveeyes = await stack.post(
      '/api/hiveeyes/testdrive/hive/scale/data',
      'application/json',
      '{"weight": 40.5}',
    );
    expect(hiveeyes.status).to.equal(200);
    expect((await stack.select('hiveeyes_testdrive', 'hive_scale_sensors'))[0]).to.include({ weight: 40.5 });
  });

  it('answers bad requests with the right status and a JSON message', async () => {
    const json = 'application/json';
    await expectError(await stack.post('/api/wan/testdrive/gw/e/data', json, ''), 400, /empty/);
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, '{"v": 1,\n "w": }'),
      400,
      /not valid JSON at line 2, column/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, '42'),
      400,
      /a number, not a JSON object/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, '[{"v": 1}, {"w": null}, {"v": 3}]'),
      400,
      /^item 2: reading has no values to store/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', 'text/csv', '## a,b\n1,2\n1,2,3\n'),
      400,
      /^line 3: value '3' in column 3/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', 'text/csv', '## a,b\n1,2\n\n,,\n'),
      400,
      /^line 4: reading has no values to store/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', 'application/x-ndjson', '{"v":1}\n{"v":\n'),
      400,
      /^line 2 is not valid JSON/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, Buffer.from([0x7b, 0xff, 0x7d])),
      400,
      /UTF-8/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, '{"time": "yesterday at noon", "v": 1}'),
      400,
      /timestamp|time/,
    );
    expect(await stack.select('wan_testdrive', 'gw_e_sensors')).to.deep.equal([]);

    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', json, 'x'.repeat(70_000)),
      413,
      /max_body_size/,
    );
    const missing = await rawRequest(stack.httpPort, {
      method: 'POST',
      path: '/api/wan/testdrive/gw/e/data',
      headers: { 'content-length': '7' },
      chunks: [Buffer.from('{"v":1}')],
    });
    expect(missing.status).to.equal(415);
    expect(JSON.parse(missing.text)).to.deep.include({ type: 'error' });
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', 'text/xml', '<v>1</v>'),
      415,
      /text\/xml.*not supported/,
    );
    await expectError(
      await stack.post('/api/wan/testdrive/gw/e/data', 'text/csv; charset=latin1', 'a'),
      415,
      /UTF-8/,
    );

    await expectError(
      await stack.post('/api/nowhere/a/b/c/data', json, '{"v":1}'),
      404,
      /no realm 'nowhere'/,
    );
    await expectError(await stack.post('/api/quiet/a/b/c/data', json, '{"v":1}'), 404, /offers no HTTP API/);
    await expectError(await stack.post('/api/wan/a/b/data', json, '{"v":1}'), 404, /no such address/);
    await expectError(await stack.post('/nope', json, '{"v":1}'), 404, /no such resource/);

    const get = await stack.fetch('/api/wan/testdrive/gw/e/data');
    await expectError(get, 405, /GET is not allowed here; use POST/);
    expect(get.headers.get('allow')).to.equal('POST');
    const post = await stack.post('/api/wan/testdrive/gw/e/data.csv', json, '{"v":1}');
    await expectError(post, 405, /POST is not allowed/);
    expect(post.headers.get('allow')).to.equal('GET, HEAD');
  });

  it('refuses a chunked upload as soon as it passes max_body_size (413), and goes on serving', async () => {
    const chunk = Buffer.from('{"v": 1},'.repeat(114));
    const res = await rawRequest(stack.httpPort, {
      method: 'POST',
      path: '/api/wan/testdrive/gw/big/data',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: [Buffer.from('['), ...Array.from({ length: 200 }, () => chunk)],
    });
    expect(res.status).to.equal(413);
    expect(JSON.parse(res.text)).to.deep.equal({
      type: 'error',
      message: 'request body exceeds the limit of 65536 bytes ([http] max_body_size)',
    });
    expect(
      (await stack.post('/api/wan/testdrive/gw/big/data', 'application/json', '{"v":1}')).status,
    ).to.equal(200);
  });

  it('serves other requests while a slow upload is still arriving', async () => {
    const req = http.request({
      host: '127.0.0.1',
      port: stack.httpPort,
      method: 'POST',
      path: '/api/wan/testdrive/gw/slow/data',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      agent: false,
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write('{"v": ');
    await new Promise((r) => setTimeout(r, 200));
    // Half a body is on its way; another request goes through meanwhile.
    const quickStarted = Date.now();
    const quick = await stack.post('/api/wan/testdrive/gw/quick/data', 'application/json', '{"v": 2}');
    expect(quick.status).to.equal(200);
    expect(Date.now() - quickStarted).to.be.below(2000);
    req.end('3}');
    const slow = await answer;
    expect(slow.status, slow.text).to.equal(200);
    expect((await stack.select('wan_testdrive', 'gw_slow_sensors'))[0]).to.include({ v: 3 });
  });

  it('never lets bad input affect other requests or the daemon', async () => {
    const bad = [
      '{"v":',
      '[1, 2, 3]',
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
      JSON.stringify({ deep: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) }),
      JSON.stringify({ 'bad\nkey': 1 }),
      JSON.stringify({ time: '99999999999999999999999', v: 1 }),
    ];
    const requests: Promise<Response>[] = [];
    for (let i = 0; i < 20; i++) {
      requests.push(
        stack.post('/api/wan/testdrive/gw/mixed/data', 'application/json', JSON.stringify({ n: i })),
      );
      requests.push(stack.post('/api/wan/testdrive/gw/mixed/data', 'application/json', bad[i % bad.length]!));
    }
    const answers = await Promise.all(requests);
    for (const [i, res] of answers.entries()) {
      expect(res.status, `request ${i}`).to.equal(i % 2 === 0 ? 200 : 400);
    }
    const rows = await stack.select('wan_testdrive', 'gw_mixed_sensors');
    expect(rows.map((r) => r['n']).sort((a, b) => Number(a) - Number(b))).to.deep.equal(
      Array.from({ length: 20 }, (_, i) => i),
    );
    expect((await stack.fetch('/health')).status).to.equal(200);
  });
  // Bodies of more readings than go to the channel at once (5,000), within the tests' 64 KiB body limit.
  it('stores a body of many thousand readings in parts: every reading, in order', async () => {
    const count = 7_000;
    const rows = Array.from({ length: count }, (_, i) => String(i));
    const res = await stack.post(
      '/api/wan/testdrive/gw/large/data',
      'text/csv',
      `## seq\n${rows.join('\n')}\n`,
    );
    expect(res.status).to.equal(200);
    expect(((await res.json()) as Message[]).at(-1)).to.deep.equal({
      type: 'info',
      message: `Received #${count} readings`,
    });
    const stored = await stack.select('wan_testdrive', 'gw_large_sensors');
    // No timestamps: the time of the request, made strictly increasing in body order.
    expect(stored.map((r) => r['seq'])).to.deep.equal(Array.from({ length: count }, (_, i) => i));
  });

  it('refuses a large body whose bad reading comes after the first parts, and stores nothing of it', async () => {
    const rows = Array.from({ length: 7_000 }, (_, i) => `,${i}`);
    rows[6_499] = 'noon,-1';
    const res = await stack.post(
      '/api/wan/testdrive/gw/large-bad/data',
      'text/csv',
      `## time,v\n${rows.join('\n')}`,
    );
    // Line 1 is the header.
    await expectError(res, 400, /^line 6501: /);
    expect(await stack.select('wan_testdrive', 'gw_large_bad_sensors')).to.deep.equal([]);
  });

  it('keeps readings posted while influxd is down in the spool: 200 at once, written once it is back, across a restart', async () => {
    await stack.influx.kill();
    const first = await stack.post('/api/wan/testdrive/gw/outage/data', 'application/json', '{"v": 1}');
    expect(first.status).to.equal(200);
    const health = (await (await stack.fetch('/health')).json()) as { storage: { spooled_bytes: number } };
    expect(health.storage.spooled_bytes).to.be.greaterThan(0);
    // A daqd restart meanwhile: the spool stays on disk and is written after the start.
    await stack.restartDaemon();
    const second = await stack.post('/api/wan/testdrive/gw/outage/data', 'application/json', '{"v": 2}');
    expect(second.status).to.equal(200);
    await stack.influx.restart();
    const stored = await eventually('both readings in InfluxDB', async () => {
      const found = await stack.select('wan_testdrive', 'gw_outage_sensors').catch(() => []);
      return found.length >= 2 ? found : undefined;
    });
    expect(stored.map((r) => r['v'])).to.deep.equal([1, 2]);
  });
});
