import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

type Row = Record<string, unknown>;

/**
 * End to end against the real services: readings published to a real mosquitto reach a real influxd
 * through a daqd process, in the databases and measurements Kotori would use.
 */
describe('acquisition: MQTT → InfluxDB (real mosquitto, real influxd, daqd process)', function () {
  this.timeout(120_000);
  let broker: MosquittoProcess;
  let influx: InfluxdProcess;
  let dir: string;
  let config: string;
  let daemon: DaemonProcess | undefined;
  let publisher: mqtt.MqttClient;
  const errors: { topic: string; body: Row }[] = [];

  async function select(database: string, measurement: string, what = '*'): Promise<Row[]> {
    const answer = (await influx.query(`SELECT ${what} FROM "${measurement}"`, database)) as {
      results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[];
    };
    const series = answer.results[0]?.series?.[0];
    if (series === undefined) return [];
    return series.values.map((v) => Object.fromEntries(series.columns.map((c, i) => [c, v[i]])));
  }

  /** Rows once at least `n` are there. */
  function rows(database: string, measurement: string, n = 1, timeout = 8000): Promise<Row[]> {
    return eventually(
      `${n} row(s) in ${database}.${measurement}`,
      async () => {
        const found = await select(database, measurement);
        return found.length >= n ? found : undefined;
      },
      timeout,
    );
  }

  async function writeConfig(timezone: string): Promise<void> {
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = ${timezone}\nmetrics_logger_interval = 0\n` +
        `[http]\nport = ${await freePort()}\n[mqtt]\nport = ${broker.port}\nclient_id = daqd-acq-${path.basename(dir)}\n` +
        `[influxdb]\nurl = ${influx.url}\nflush_interval = 50\n`,
    );
  }

  async function startDaemon(): Promise<DaemonProcess> {
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 2 realm/);
    await daemon.waitFor(/connected to broker[^\n]*-lan'/);
    await daemon.waitFor(/connected to broker[^\n]*-wan'/);
    return daemon;
  }

  function publish(topic: string, payload: string | object): Promise<unknown> {
    return publisher.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), {
      qos: 1,
    });
  }

  before(async () => {
    [broker, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-acq-'));
    await mkdir(path.join(dir, 'apps'));
    config = path.join(dir, 'daqd.ini');
    await writeFile(
      path.join(dir, 'apps', 'wan.ini'),
      '[wan]\ntype = application\nrealm = wan\nmqtt_topics = wan/#\napplication = kotori.daq.application.mqttkit:mqttkit_application\n' +
        'direct_channel_allowed_networks = itest, testdrive\n',
    );
    await writeFile(
      path.join(dir, 'apps', 'lan.ini'),
      '[lan]\ntype = application\nrealm = lan\nmqtt_topics = lan/#\napplication = kotori.daq.application.basic:application\n',
    );
    await writeConfig('Europe/Berlin');
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'acq-test-publisher' });
    await publisher.subscribeAsync(['+/+/+/+/error.json', '+/+/+/error.json', '+/+/error.json'], { qos: 0 });
    publisher.on('message', (topic, payload) =>
      errors.push({ topic, body: JSON.parse(payload.toString()) as Row }),
    );
    await startDaemon();
  });

  after(async () => {
    await daemon?.stop();
    await publisher?.endAsync();
    await Promise.all([broker?.stop(), influx?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores a WAN reading in realm_network / gateway_node_sensors with Kotori value rules', async () => {
    await publish('wan/testdrive/area-42/node-1/data.json', {
      temperature: 21.5,
      humidity: '55.2',
      ok: true,
      label: 'hive A',
      gone: null,
      DHT22: { Temperature: 20 },
    });
    const [row] = await rows('wan_testdrive', 'area_42_node_1_sensors');
    expect(row).to.include({
      temperature: 21.5,
      humidity: 55.2,
      ok: 1,
      label: 'hive A',
      'DHT22.Temperature': 20,
    });
    expect(row).not.to.have.property('gone');
  });

  it('decodes the device and channel forms, and refuses a channel network off the allow-list', async () => {
    await publish('wan/device/ESP-123/data.json', { v: 1 });
    await publish('wan/channel/itest-gw-node/data.json', { v: 2 });
    await publish('wan/channel/wan-itest-gw2-node2/data.json', { v: 3 });
    await publish('wan/channel/other-gw-node/data.json', { v: 4 });
    expect((await rows('wan_devices', 'default_esp_123_sensors'))[0]).to.include({ v: 1 });
    expect((await rows('wan_itest', 'gw_node_sensors'))[0]).to.include({ v: 2 });
    expect((await rows('wan_itest', 'gw2_node2_sensors'))[0]).to.include({ v: 3 });
    const refused = await eventually('error for the refused network', async () =>
      errors.find((e) => e.topic === 'wan/channel/other-gw-node/error.json'),
    );
    expect(String(refused.body['message'])).to.contain('other');
    const databases = (await influx.query('SHOW DATABASES')) as {
      results: { series: { values: string[][] }[] }[];
    };
    const names = databases.results[0]?.series[0]?.values.map((v) => v[0]);
    expect(names).to.include('wan_itest').and.not.to.include('wan_other');
  });

  it('stores discrete values, Homie and WeeWX payloads', async () => {
    await publish('wan/testdrive/gw/discrete/data/temperature', '12.5');
    await publish('wan/testdrive/gw/discrete/measure/weight', '3');
    await publish('wan/testdrive/gw/homie/data/__json__', { pressure: 1013.2 });
    await publish('wan/weewx/gw/station/loop', {
      outTemp_C: '12.3',
      windSpeed_kph: '0.0',
      dateTime: '1583810982',
    });
    const discrete = await rows('wan_testdrive', 'gw_discrete_sensors', 2);
    expect(discrete.map((r) => r['temperature'] ?? r['weight']).sort()).to.deep.equal([12.5, 3]);
    expect((await rows('wan_testdrive', 'gw_homie_sensors'))[0]).to.include({ pressure: 1013.2 });
    const [weewx] = await rows('wan_weewx', 'gw_station_sensors');
    expect(weewx).to.include({ outTemp_C: 12.3, windSpeed_kph: 0, time: '2020-03-10T03:29:42Z' });
  });

  it('stores events with their strings in the events measurement', async () => {
    await publish('wan/testdrive/gw/node-1/event.json', {
      title: 'Swarm',
      text: 'Queen left at 12:00',
      tags: 'swarm',
    });
    expect((await rows('wan_testdrive', 'gw_node_1_events'))[0]).to.include({
      title: 'Swarm',
      text: 'Queen left at 12:00',
      tags: 'swarm',
    });
  });

  it("stores Kotori's tag fields as tags", async () => {
    await publish('wan/testdrive/gw/tagged/data.json', { sensor_id: 'abc', location: 'yard', v: 1 });
    await rows('wan_testdrive', 'gw_tagged_sensors');
    const answer = (await influx.query('SHOW TAG KEYS FROM "gw_tagged_sensors"', 'wan_testdrive')) as {
      results: { series: { values: string[][] }[] }[];
    };
    expect(answer.results[0]?.series[0]?.values.map((v) => v[0]).sort()).to.deep.equal([
      'location',
      'sensor_id',
    ]);
  });

  it('reads every timestamp form to the exact nanosecond', async () => {
    await publish('wan/testdrive/gw/ts-ns/data.json', { time: '1583810982123456789', v: 1 });
    await publish('wan/testdrive/gw/ts-ms/data.json', { timestamp: 1583810982123, v: 1 });
    await publish('wan/testdrive/gw/ts-s/data.json', { datetime: 1583810982.5, v: 1 });
    await publish('wan/testdrive/gw/ts-iso/data.json', {
      dateTime: '2020-03-10T04:29:42.000001+01:00',
      v: 1,
    });
    await publish('wan/testdrive/gw/ts-local/data.json', { Time: '2020-03-10 04:29:42', v: 1 });
    const time = async (node: string) => (await rows('wan_testdrive', `gw_${node}_sensors`))[0]?.['time'];
    expect(await time('ts_ns')).to.equal('2020-03-10T03:29:42.123456789Z');
    expect(await time('ts_ms')).to.equal('2020-03-10T03:29:42.123Z');
    expect(await time('ts_s')).to.equal('2020-03-10T03:29:42.5Z');
    expect(await time('ts_iso')).to.equal('2020-03-10T03:29:42.000001Z');
    // Zone-less: read in the configured zone, Europe/Berlin (UTC+1 in March).
    expect(await time('ts_local')).to.equal('2020-03-10T03:29:42Z');
  });

  it('keeps every digit of a timestamp given as a JSON number (not rounded to a double)', async () => {
    await publish('wan/testdrive/gw/num-ns/data.json', '{"timestamp": 1583810982123456789, "v": 1}');
    await publish('wan/testdrive/gw/num-frac/data.json', '{"time": 1583810982.123456789, "v": 2}');
    await publish(
      'wan/testdrive/gw/num-bulk/data.json',
      '[{"time": 1583810982000000001, "v": 1}, {"time": 1583810982000000002, "v": 2}]',
    );
    const time = async (node: string, n = 1) =>
      (await rows('wan_testdrive', `gw_${node}_sensors`, n)).map((row) => row['time']);
    expect(await time('num_ns')).to.deep.equal(['2020-03-10T03:29:42.123456789Z']);
    expect(await time('num_frac')).to.deep.equal(['2020-03-10T03:29:42.123456789Z']);
    expect(await time('num_bulk', 2)).to.deep.equal([
      '2020-03-10T03:29:42.000000001Z',
      '2020-03-10T03:29:42.000000002Z',
    ]);
  });

  it('keeps two readings of one node within the same millisecond apart', async () => {
    await Promise.all([1, 2, 3, 4, 5].map((v) => publish('wan/testdrive/gw/burst/data.json', { v })));
    const found = await rows('wan_testdrive', 'gw_burst_sensors', 5);
    expect(found.map((r) => r['v']).sort()).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('stores a LAN reading in realm_node / sensors', async () => {
    await publish('lan/node-7/data.json', { temperature: 19 });
    await publish('lan/node-7/event.json', { title: 'restart' });
    expect((await rows('lan_node_7', 'sensors'))[0]).to.include({ temperature: 19 });
    expect((await rows('lan_node_7', 'events'))[0]).to.include({ title: 'restart' });
  });

  it('stores field names with comma, equals sign, space and double quote', async () => {
    await publish('wan/testdrive/gw/names/data.json', { 'a,b': 1, 'c=d': 2, 'e f': 3, 'g"h': 4 });
    expect((await rows('wan_testdrive', 'gw_names_sensors'))[0]).to.include({
      'a,b': 1,
      'c=d': 2,
      'e f': 3,
      'g"h': 4,
    });
  });

  it('answers a bad payload on error.json with Kotori keys and goes on', async () => {
    await publish('wan/testdrive/gw/broken/data.json', '{"temperature": 21.5');
    const error = await eventually('error.json', async () =>
      errors.find((e) => e.topic === 'wan/testdrive/gw/broken/error.json'),
    );
    expect(error.body).to.have.all.keys('type', 'message', 'description', 'timestamp');
    expect(error.body['type']).to.equal('DecodeError');
    expect(String(error.body['description']))
      .to.contain('wan/testdrive/gw/broken/data.json')
      .and.to.contain('{"temperature": 21.5');
    expect(Date.parse(String(error.body['timestamp']))).to.be.closeTo(Date.now(), 60_000);
    await publish('wan/testdrive/gw/broken/data.json', { temperature: 22 });
    expect((await rows('wan_testdrive', 'gw_broken_sensors'))[0]).to.include({ temperature: 22 });
  });

  it('reads a zone-less time in another configured zone (America/New_York)', async () => {
    await daemon?.stop();
    await writeConfig('America/New_York');
    await startDaemon();
    await publish('wan/testdrive/gw/ts-ny/data.json', { time: '2020-03-10 04:29:42', v: 1 });
    // New York is UTC-4 on 10 March 2020 (daylight saving time began on 8 March).
    expect((await rows('wan_testdrive', 'gw_ts_ny_sensors'))[0]?.['time']).to.equal('2020-03-10T08:29:42Z');
  });

  it('stores every QoS 1 reading exactly once across an InfluxDB outage', async () => {
    const total = 300;
    let sent = 0;
    const sending = (async () => {
      for (; sent < total; sent++) {
        await publish('wan/testdrive/gw/outage/data.json', { n: sent });
        if (sent % 10 === 0) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await eventually('some readings stored', async () =>
      (await select('wan_testdrive', 'gw_outage_sensors')).length > 20 ? true : undefined,
    );
    await influx.kill();
    await new Promise((r) => setTimeout(r, 1500));
    await influx.restart();
    await sending;
    const found = await rows('wan_testdrive', 'gw_outage_sensors', total, 60_000);
    expect(found.length).to.equal(total);
    expect(new Set(found.map((r) => r['n'])).size).to.equal(total);
  });

  it('stores readings published while daqd was stopped (persistent session)', async () => {
    await daemon?.stop();
    for (let i = 0; i < 50; i++) await publish('wan/testdrive/gw/offline/data.json', { n: i });
    await startDaemon();
    const found = await rows('wan_testdrive', 'gw_offline_sensors', 50, 20_000);
    expect(found.length).to.equal(50);
    expect(new Set(found.map((r) => r['n'])).size).to.equal(50);
    expect(await readFile(config, 'utf8')).to.contain('America/New_York');
  });
});
