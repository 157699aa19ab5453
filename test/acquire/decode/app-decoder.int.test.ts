import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type mqtt from 'mqtt';
import { APP_DECODER_NAMES } from '../../../lib/acquire/decode/app-decoder.js';
import { runCli } from '../../support/daqd.js';
import { type DaqdStack, type ErrorReport, type Row, startDaqdStack } from '../../support/daqd-stack.js';
import { eventually } from '../../support/eventually.js';
import type { InfluxdProcess } from '../../support/influxd.js';
import { TTN_UPLINK } from './ttn.fixtures.js';

/**
 * The app key `decoder = …` through a daqd process, with a real mosquitto and a real influxd: the shipped
 * `ttn-mqtt` app (TTN v3 uplinks on `v3/<app>@<tenant>/devices/<device>/up`) and line protocol as MQTT
 * payloads on an mqttkit realm.
 */
describe('decoder = …: MQTT → InfluxDB (real mosquitto, real influxd, daqd process)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let influx: InfluxdProcess;
  let publisher: mqtt.MqttClient;
  let httpPort = 0;
  let errors: ErrorReport[];
  const select = (database: string, measurement: string) => stack.select(database, measurement);
  const rows = (database: string, measurement: string, n?: number) => stack.rows(database, measurement, n);

  before(async () => {
    stack = await startDaqdStack({
      name: 'app-decoder',
      shipped: ['ttn-mqtt.ini'],
      apps: {
        'lp.ini': '[lp]\ntype = application\nrealm = lp\napplication = mqttkit\ndecoder = line-protocol\n',
        'lph.ini':
          '[lph]\ntype = application\nrealm = lph\napplication = basic\nhttp_api = true\ndecoder = line-protocol\n',
      },
      errorTopics: '#',
      readyWhen: [
        /ready: 3 realm/,
        /connected to broker[^\n]*-ttn-mqtt'/,
        /connected to broker[^\n]*-lp'/,
        /connected to broker[^\n]*-lph'/,
      ],
    });
    ({ influx, publisher, httpPort, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it('stores a TTN v3 uplink from v3/<app>@<tenant>/devices/<device>/up as the webhook does', async () => {
    await publisher.publishAsync('v3/apiary@ttn/devices/hive-scale-7/up', JSON.stringify(TTN_UPLINK), {
      qos: 1,
    });
    const found = await rows('ttn_mqtt_hive_scale_7', 'sensors');
    expect(found).to.deep.equal([
      {
        time: '2024-05-17T08:15:42.123456789Z',
        application: 'apiary@ttn',
        device_id: 'hive-scale-7',
        temperature_1: 22.8,
        relative_humidity_2: 40,
        weight: 31.25,
        bw: 125,
        sf: 9,
        freq: 867.3,
        counter: 1042,
        gtw_count: 2,
        'gw_garden-gw_rssi': -97,
        'gw_garden-gw_snr': 8.25,
        'gw_church-tower_rssi': -118,
        'gw_church-tower_snr': -9.5,
      },
    ]);
  });

  it('answers a message that is not an uplink on error.json and stores nothing of it', async () => {
    await publisher.publishAsync('v3/apiary@ttn/devices/broken-1/up', '{"temperature": 21}', { qos: 1 });
    const report = await eventually('an error report', async () =>
      errors.find((e) => e.topic.startsWith('v3/apiary@ttn/devices/broken-1/')),
    );
    expect(report.topic).to.equal('v3/apiary@ttn/devices/broken-1/error.json');
    expect(report.body['message']).to.match(/payload is not a 'ttn' document/);
    const shown = (await influx.query('SHOW DATABASES')) as {
      results: { series?: { values: [string][] }[] }[];
    };
    const databases = (shown.results[0]?.series?.[0]?.values ?? []).map(([name]) => name);
    expect(databases).to.include('ttn_mqtt_hive_scale_7');
    expect(databases).not.to.include('ttn_mqtt_broken_1');
  });

  it("stores line protocol published on an mqttkit topic as written, in the topic's database", async () => {
    await publisher.publishAsync(
      'lp/lab/gw-1/node-1/lp',
      'weather,site=roof temp=21.5,count=3i,ok=true,note="a b" 1700000000000000123\n' +
        'weather,site=cellar temp=12 1700000000000000456',
      { qos: 1 },
    );
    const found = await rows('lp_lab', 'weather', 2);
    expect(found).to.deep.equal([
      { time: '2023-11-14T22:13:20.000000123Z', count: 3, note: 'a b', ok: true, site: 'roof', temp: 21.5 },
      { time: '2023-11-14T22:13:20.000000456Z', count: null, note: null, ok: null, site: 'cellar', temp: 12 },
    ]);
    // Types as written: count is an integer field, temp a float.
    const types = (await influx.query('SHOW FIELD KEYS FROM "weather"', 'lp_lab')) as {
      results: { series?: { values: [string, string][] }[] }[];
    };
    expect(Object.fromEntries(types.results[0]?.series?.[0]?.values ?? [])).to.deep.equal({
      count: 'integer',
      note: 'string',
      ok: 'boolean',
      temp: 'float',
    });
  });

  it('answers a bad line on error.json naming it, and stores none of the payload', async () => {
    await publisher.publishAsync('lp/lab/gw-1/node-2/lp', 'good v=1 1\nbad v=', { qos: 1 });
    const report = await eventually('an error report', async () =>
      errors.find((e) => e.topic.startsWith('lp/lab/gw-1/node-2/')),
    );
    expect(report.topic).to.equal('lp/lab/gw-1/node-2/error.json');
    expect(report.body['message']).to.match(/^slot 'lp': line 2: /);
    expect(await select('lp_lab', 'good')).to.deep.equal([]);
  });

  it('reads a body posted to a node of such an app as line protocol too, whatever its Content-Type', async () => {
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${httpPort}/api/lph/node-1/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body,
      });
    const res = await post(
      'cpu,host=a usage=0.25,n=7i 1700000000000000789\ncpu,host=b usage=0.5 1700000000000000790',
    );
    expect(res.status, await res.clone().text()).to.equal(200);
    expect(await res.json()).to.deep.equal([{ type: 'info', message: 'Received #2 readings' }]);
    const found = await rows('lph_node_1', 'cpu', 2);
    expect(found).to.deep.equal([
      { time: '2023-11-14T22:13:20.000000789Z', host: 'a', n: 7, usage: 0.25 },
      { time: '2023-11-14T22:13:20.00000079Z', host: 'b', n: null, usage: 0.5 },
    ]);

    const bad = await post('disk free=1 1\ndisk free=');
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as Row)['message']).to.match(/line 2: /);
    expect(await select('lph_node_1', 'disk')).to.deep.equal([]);
  });
});

describe('cli: daqd check refuses an unknown decoder with file:line', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-decoder-check-'));
    await mkdir(path.join(dir, 'apps-enabled'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints file:line: section.decoder: unknown decoder, with a did-you-mean, and exits 78', async () => {
    const main = path.join(dir, 'daqd.ini');
    const app = path.join(dir, 'apps-enabled', 't.ini');
    await writeFile(main, '[http]\nport = 8080\n');
    await writeFile(
      app,
      '[t]\ntype = application\nrealm = t\ntopic_template = v3/{application}/devices/{node}/up\ndecoder = tnn\n',
    );
    const { code, stderr } = await runCli(['check', '--config', main]);
    expect(code).to.equal(78);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `${app}:5: t.decoder: unknown decoder 'tnn' (known: ${APP_DECODER_NAMES.join(', ')}) (did you mean 'ttn'?)`,
      `${main}: 1 problem found`,
    ]);
  });
});
