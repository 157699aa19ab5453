import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type mqtt from 'mqtt';
import { runCli } from '../../../support/daqd.js';
import { type DaqdStack, type ErrorReport, startDaqdStack } from '../../../support/daqd-stack.js';
import { eventually } from '../../../support/eventually.js';
import { SONOFF_SC_SENSOR } from '../tasmota.fixtures.js';

/**
 * Topic templates, plain values and naming templates through a daqd process, with a real mosquitto and
 * a real influxd: the shipped `telegraf-sensors` app, a MySense-style app, Tasmota's stock topics and a
 * layout with an ignored level, network and gateway.
 */
describe('topic templates: MQTT → InfluxDB (real mosquitto, real influxd, daqd process)', function () {
  this.timeout(120_000);
  let stack: DaqdStack;
  let publisher: mqtt.MqttClient;
  let errors: ErrorReport[];
  const rows = (database: string, measurement: string, n?: number) => stack.rows(database, measurement, n);

  before(async () => {
    stack = await startDaqdStack({
      name: 'template',
      shipped: ['telegraf-sensors.ini'],
      apps: {
        'mysense.ini':
          '[mysense]\ntype = application\nrealm = mysense\ntopic_template = IoS/{project}/{serial}\n' +
          'database = {project}_{serial}\nmeasurement = data\n',
        // Tasmota's stock topics (`tele/<device>/SENSOR`), no Full Topic changed on the device.
        'tele.ini': '[tele]\ntype = application\nrealm = tele\ntopic_template = tele/{node}/{slot}\n',
        // A layout with a level to ignore and network and gateway levels.
        'site.ini':
          '[site]\ntype = application\nrealm = site\n' +
          'topic_template = site/+/{network}/{gateway}/{node}/{field}\n',
      },
      errorTopics: 'sensors/+/error.json',
      readyWhen: [
        /ready: 4 realm/,
        /connected to broker[^\n]*-sensors'/,
        /connected to broker[^\n]*-mysense'/,
        /connected to broker[^\n]*-tele'/,
        /connected to broker[^\n]*-site'/,
      ],
    });
    ({ publisher, errors } = stack);
  });

  after(async () => {
    await stack?.stop();
  });

  it("stores Telegraf's plain values: sensors/livingroom/temperature 21.5 → sensors_livingroom.sensors", async () => {
    await publisher.publishAsync('sensors/livingroom/temperature', '21.5', { qos: 1 });
    await publisher.publishAsync('sensors/livingroom/door', 'true', { qos: 1 });
    await publisher.publishAsync('sensors/livingroom/state', 'heating', { qos: 1 });
    const found = await rows('sensors_livingroom', 'sensors', 3);
    expect(found.map((r) => r['temperature']).filter((v) => v !== null)).to.deep.equal([21.5]);
    expect(found.map((r) => r['door']).filter((v) => v !== null)).to.deep.equal([1]);
    expect(found.map((r) => r['state']).filter((v) => v !== null)).to.deep.equal(['heating']);
  });

  it('stores a MySense-style IoS/<project>/<serial> JSON in <project>_<serial>.data, tagged', async () => {
    await publisher.publishAsync(
      'IoS/Luchtmeetnet/B4E62D1',
      JSON.stringify({ time: '2026-12-01T10:00:00Z', temp: 20.1, rh: 55 }),
      { qos: 1 },
    );
    const [row] = await rows('luchtmeetnet_b4e62d1', 'data');
    expect(row).to.deep.equal({
      time: '2026-12-01T10:00:00Z',
      temp: 20.1,
      rh: 55,
      project: 'Luchtmeetnet',
      serial: 'B4E62D1',
    });
  });

  /** The first row of a measurement once it holds every field in `keys` (influxd may be mid-write). */
  const complete = (database: string, measurement: string, keys: readonly string[]) =>
    eventually(`a complete row in ${database}.${measurement}`, async () => {
      const [row] = await stack.select(database, measurement);
      return row !== undefined && keys.every((key) => row[key] !== null && row[key] !== undefined)
        ? row
        : undefined;
    });

  it("stores Tasmota's stock tele/<device>/SENSOR under tele/{node}/{slot}, at its Time", async () => {
    await publisher.publishAsync('tele/sonoff-sc/SENSOR', JSON.stringify(SONOFF_SC_SENSOR), { qos: 1 });
    const row = await complete('tele_sonoff_sc', 'sensors', ['SonoffSC.Temperature', 'SonoffSC.Noise']);
    // Zone-less Time read in [daqd] timezone (UTC here); TempUnit dropped.
    expect(row).to.deep.equal({
      time: '2019-06-02T22:13:07Z',
      'SonoffSC.AirQuality': 90,
      'SonoffSC.Humidity': 15,
      'SonoffSC.Light': 20,
      'SonoffSC.Noise': 10,
      'SonoffSC.Temperature': 25,
    });
  });

  it('ignores a + level and names database and measurement by network, gateway and node', async () => {
    await publisher.publishAsync('site/any-thing/lab/gw-2/node-9/pressure', '1013.25', { qos: 1 });
    const row = await complete('site_lab', 'gw_2_node_9_sensors', ['pressure']);
    expect(row).to.include({ pressure: 1013.25 });
  });

  it('answers a payload that is no value on <base topic>/error.json, and does not answer that', async () => {
    await publisher.publishAsync('sensors/kitchen/temperature', 'null', { qos: 1 });
    const report = await eventually('an error report', async () => errors[0]);
    expect(report.topic).to.equal('sensors/kitchen/error.json');
    expect(report.body['message']).to.match(/payload is null, not a value/);
    // The report came back under sensors/+/+; a marker published after it is stored, and no second
    // report was made.
    await publisher.publishAsync('sensors/kitchen/humidity', '40', { qos: 1 });
    await rows('sensors_kitchen', 'sensors');
    expect(errors).to.have.length(1);
  });
});

describe('cli: daqd check refuses a bad topic or naming template with file:line', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-template-check-'));
    await mkdir(path.join(dir, 'apps-enabled'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints file:line: section.key: problem and exits 78', async () => {
    const main = path.join(dir, 'daqd.ini');
    const app = path.join(dir, 'apps-enabled', 's.ini');
    await writeFile(main, '[http]\nport = 8080\n');
    await writeFile(
      app,
      '[s]\ntype = application\nrealm = s\ntopic_template = sensors/dev-{node}/{field}\n' +
        '[m]\ntype = application\nrealm = m\ntopic_template = IoS/{project}/{serial}\ndatabase = {project}_{id}\n',
    );
    const { code, stderr } = await runCli(['check', '--config', main]);
    expect(code).to.equal(78);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `${app}:4: s.topic_template: 'sensors/dev-{node}/{field}': level 'dev-{node}' is not a part: write '{name}' as a whole level`,
      `${app}:9: m.database: '{project}_{id}': unknown placeholder '{id}' (known: realm, node, field, project, serial)`,
      `${main}: 2 problems found`,
    ]);
  });
});
