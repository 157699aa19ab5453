import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { parse } from 'yaml';
import { DaemonProcess, freePort, runCli } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

const WAN = `[wan]
type = application
realm = wan
application = mqttkit
http_api = true
`;

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Array<{
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: Array<{ query: string }>;
  }>;
}
interface Datasources {
  apiVersion: number;
  datasources: Array<{ name: string; uid: string; type: string; url: string; jsonData: { dbName: string } }>;
}

describe('grafana: provisioning by a running daqd (real influxd, mosquitto)', function () {
  this.timeout(60_000);
  let influx: InfluxdProcess;
  let broker: MosquittoProcess;
  let daemon: DaemonProcess | undefined;
  let publisher: mqtt.MqttClient | undefined;
  let dir: string;
  let config: string;
  let port: number;
  let dirs: { datasources: string; providers: string; dashboards: string };

  before(async () => {
    [influx, broker] = await Promise.all([startInfluxd(), startMosquitto()]);
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-grafana-'));
    dirs = {
      datasources: path.join(dir, 'grafana/provisioning/datasources'),
      providers: path.join(dir, 'grafana/provisioning/dashboards'),
      dashboards: path.join(dir, 'grafana/dashboards'),
    };
    for (const d of [...Object.values(dirs), path.join(dir, 'apps')]) await mkdir(d, { recursive: true });
    await writeFile(path.join(dir, 'apps/wan.ini'), WAN);
    port = await freePort();
    config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\ntimezone = UTC\nmetrics_logger_interval = 0\n` +
        `shutdown_timeout = 5\n[http]\nlisten = 127.0.0.1\nport = ${port}\n` +
        `[mqtt]\nport = ${broker.port}\nclient_id = daqd-grafana-${path.basename(dir)}\n` +
        `[influxdb]\nurl = ${influx.url}\nflush_interval = 20\n` +
        '[grafana]\nenable = true\n' +
        'datasources_dir = grafana/provisioning/datasources\nproviders_dir = grafana/provisioning/dashboards\n' +
        'dashboards_dir = grafana/dashboards\nfolder = Sensors\ninfluxdb_url = http://influxdb:8086\n' +
        // Kotori's key: accepted, with an info line.
        'host = localhost\n',
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/, 20_000);
    publisher = await mqtt.connectAsync(broker.url, { clientId: `grafana-test-${path.basename(dir)}` });
  });
  after(async () => {
    await daemon?.stop();
    await publisher?.endAsync();
    await Promise.all([broker?.stop(), influx?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const dashboardFile = () => path.join(dirs.dashboards, 'wan_testnet.json');
  async function dashboard(file = dashboardFile()): Promise<Dashboard> {
    return JSON.parse(await readFile(file, 'utf8')) as Dashboard;
  }
  const rows = (d: Dashboard) => d.panels.filter((p) => p.type === 'row').map((p) => p.title);
  function post(node: string, body: Record<string, unknown>): Promise<Response> {
    return fetch(`http://127.0.0.1:${port}/api/wan/testnet/gw/${node}/data`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  /** The dashboard once its rows are `expected`. */
  function dashboardWith(expected: string[], file = dashboardFile()): Promise<Dashboard> {
    return eventually(`rows ${expected.join(', ')} in ${file}`, async () => {
      const d = await dashboard(file);
      return JSON.stringify(rows(d)) === JSON.stringify(expected) ? d : undefined;
    });
  }

  it("says it accepts Kotori's [grafana] host", () => {
    expect(daemon?.output).to.match(/grafana\.host: ignored: Kotori's login to Grafana's HTTP API/);
  });

  it('writes the files once readings of two nodes arrive (HTTP and MQTT), and they parse', async () => {
    expect((await post('node1', { temperature: 21.5, state: 'open' })).status).to.equal(200);
    await publisher?.publishAsync('wan/testnet/gw/node2/data.json', JSON.stringify({ weight: 42.1 }), {
      qos: 1,
    });
    const d = await dashboardWith(['gw_node1', 'gw_node2']);
    expect(d).to.include({ uid: 'daqd-wan_testnet', title: 'wan_testnet', schemaVersion: 39 });
    // The string field `state` has no panel.
    expect(d.panels.map((p) => `${p.type}:${p.title}`)).to.deep.equal([
      'row:gw_node1',
      'timeseries:temperature',
      'row:gw_node2',
      'timeseries:weight',
    ]);
    expect(d.panels[1]?.targets?.[0]?.query).to.equal(
      'SELECT mean("temperature") AS "temperature" FROM "gw_node1_sensors" WHERE $timeFilter ' +
        'GROUP BY time($__interval) fill(null)',
    );
    const ds = await eventually('the data source file', async () => {
      const doc = parse(await readFile(path.join(dirs.datasources, 'daqd.yaml'), 'utf8')) as Datasources;
      return doc.datasources.some((s) => s.name === 'wan_testnet') ? doc : undefined;
    });
    expect(ds.apiVersion).to.equal(1);
    const source = ds.datasources.find((s) => s.name === 'wan_testnet');
    expect(source).to.include({
      type: 'influxdb',
      url: 'http://influxdb:8086',
      uid: d.panels[1]?.datasource?.uid,
    });
    expect(source?.jsonData.dbName).to.equal('wan_testnet');
    const provider = parse(await readFile(path.join(dirs.providers, 'daqd.yaml'), 'utf8')) as {
      providers: Array<{ folder: string; type: string; options: { path: string } }>;
    };
    expect(provider.providers[0]).to.deep.include({
      folder: 'Sensors',
      type: 'file',
      options: {
        path: dirs.dashboards,
        foldersFromFilesStructure: false,
      },
    });
  });

  it('adds the panel of a new node while it runs', async () => {
    expect((await post('node3', { humidity: 55 })).status).to.equal(200);
    const d = await dashboardWith(['gw_node1', 'gw_node2', 'gw_node3']);
    expect(d.panels.at(-1)?.title).to.equal('humidity');
    // The line follows the write.
    await daemon?.waitFor(
      /grafana: wrote dashboard 'daqd-wan_testnet' of database 'wan_testnet' \(3 panels\)/,
    );
  });

  it("leaves a dashboard the user edited and writes daqd's version beside it", async () => {
    const edited = { ...(await dashboard()), title: 'My sensors' };
    await writeFile(dashboardFile(), JSON.stringify(edited, null, 2));
    expect((await post('node4', { pressure: 1013 })).status).to.equal(200);
    const copyFile = path.join(dirs.dashboards, 'wan_testnet.daqd.json');
    const copy = await dashboardWith(['gw_node1', 'gw_node2', 'gw_node3', 'gw_node4'], copyFile);
    expect(copy).to.include({ uid: 'daqd-wan_testnet-daqd', title: 'wan_testnet (daqd)' });
    expect((await dashboard()).title).to.equal('My sensors');
    expect(rows(await dashboard())).to.deep.equal(['gw_node1', 'gw_node2', 'gw_node3']);
    await daemon?.waitFor(/warning.*grafana: '.*wan_testnet\.json' was edited by hand; left as it is/);
  });

  it('daqd grafana write: writes the files from the store once, and keeps the edited one', async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(path.join(dirs.datasources, 'daqd.yaml'));
    const { code, stdout, stderr } = await runCli(['grafana', 'write', '--config', config]);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout.trimEnd().split('\n')).to.deep.equal([
      `unchanged ${path.join(dirs.providers, 'daqd.yaml')}`,
      `written ${path.join(dirs.datasources, 'daqd.yaml')}`,
      `kept ${dashboardFile()} (edited by hand); daqd's version: unchanged ${path.join(dirs.dashboards, 'wan_testnet.daqd.json')}`,
    ]);
    const doc = parse(await readFile(path.join(dirs.datasources, 'daqd.yaml'), 'utf8')) as Datasources;
    expect(doc.datasources.map((s) => s.name)).to.deep.equal(['wan_testnet']);

    // The user gives the file back: daqd writes it again and drops its copy.
    await rm(dashboardFile());
    const again = await runCli(['grafana', 'write', '--config', config]);
    expect(again.code).to.equal(0);
    expect(again.stdout).to.contain(`written ${dashboardFile()}`);
    // Built from the store alone: InfluxDB's field keys, their types from the newest values (no `state`).
    expect((await dashboard()).panels.map((p) => `${p.type}:${p.title}`)).to.deep.equal([
      'row:gw_node1',
      'timeseries:temperature',
      'row:gw_node2',
      'timeseries:weight',
      'row:gw_node3',
      'timeseries:humidity',
      'row:gw_node4',
      'timeseries:pressure',
    ]);
    expect(existsSync(path.join(dirs.dashboards, 'wan_testnet.daqd.json'))).to.equal(false);
  });

  it('daqd grafana: help, usage errors, and a configuration without [grafana] enable', async () => {
    const help = await runCli(['grafana', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: daqd grafana write/);
    expect((await runCli(['--help'])).stdout).to.contain('grafana write');
    const bad = await runCli(['grafana', 'read', '--config', config]);
    expect(bad.code).to.equal(64);
    expect(bad.stderr).to.contain("unknown action 'read'");
    const off = path.join(dir, 'off.ini');
    await writeFile(off, `[influxdb]\nurl = ${influx.url}\n`);
    const disabled = await runCli(['grafana', 'write', '--config', off]);
    expect(disabled.code).to.equal(78);
    expect(disabled.stderr).to.contain('[grafana] enable is not true');
  });
});
