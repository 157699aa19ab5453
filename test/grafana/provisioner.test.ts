import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import type { Sink } from '../../lib/acquire/sink/sink.js';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import type { GrafanaSettings } from '../../lib/config/grafana-keys.js';
import type { Log } from '../../lib/core/log.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { GrafanaProvisioner } from '../../lib/grafana/provisioner.js';

const T = 1_700_000_000_000_000_000n;

function point(measurement: string, fields: Point['fields'], time = T): Point {
  return { measurement, tags: {}, fields, time };
}

/** A log that keeps its lines. */
function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    error: (m: string) => lines.push(`error: ${m}`),
    warning: (m: string) => lines.push(`warning: ${m}`),
    notice: (m: string) => lines.push(`notice: ${m}`),
    info: (m: string) => lines.push(`info: ${m}`),
    debug: () => {},
    isDebug: () => false,
    child: () => log,
  };
  return log;
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Array<{ type: string; title: string; targets?: Array<{ query: string }> }>;
}

describe('grafana: GrafanaProvisioner (SQLite store)', () => {
  let dir: string;
  let settings: GrafanaSettings;
  let sink: SqliteSink;
  let log: ReturnType<typeof recordingLog>;
  let provisioner: GrafanaProvisioner | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-provisioner-'));
    settings = {
      enable: true,
      datasources_dir: path.join(dir, 'provisioning/datasources'),
      providers_dir: path.join(dir, 'provisioning/dashboards'),
      dashboards_dir: path.join(dir, 'dashboards'),
      folder: 'daqd',
      influxdb_url: 'http://influxdb:8086',
      influxdb_username: 'grafana',
      influxdb_password: 'pw',
    };
    for (const d of [settings.datasources_dir, settings.providers_dir, settings.dashboards_dir]) {
      await mkdir(d, { recursive: true });
    }
    sink = new SqliteSink({ dataDir: path.join(dir, 'var'), log: silentLog() });
    await sink.start();
    log = recordingLog();
  });
  afterEach(async () => {
    await provisioner?.stop();
    provisioner = undefined;
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function make(over: Partial<{ sink: Sink; debounceMs: number }> = {}): GrafanaProvisioner {
    provisioner = new GrafanaProvisioner({
      settings,
      dataDir: path.join(dir, 'var'),
      sink: over.sink ?? sink,
      log,
      debounceMs: over.debounceMs ?? 10,
    });
    return provisioner;
  }
  const dashboardFile = (database: string) => path.join(settings.dashboards_dir, `${database}.json`);
  async function dashboard(database: string): Promise<Dashboard> {
    return JSON.parse(await readFile(dashboardFile(database), 'utf8')) as Dashboard;
  }
  const titles = (d: Dashboard) => d.panels.map((p) => `${p.type}:${p.title}`);
  async function datasourceNames(): Promise<string[]> {
    const doc = parse(await readFile(path.join(settings.datasources_dir, 'daqd.yaml'), 'utf8')) as {
      datasources: Array<{ name: string }>;
    };
    return doc.datasources.map((d) => d.name);
  }

  it('writes provider, data sources and a dashboard per database from what the store holds', async () => {
    await sink.write('bees_lab', [
      point('gw_n1_sensors', { weight: 42.5, temperature: 21, state: 'open' }),
      point('gw_n1_events', { title: 'swarm' }),
    ]);
    await sink.write('bees_field', [point('gw_n9_sensors', { humidity: 60 })]);
    await make().start();
    expect(await datasourceNames()).to.deep.equal(['bees_field', 'bees_lab']);
    const provider = parse(await readFile(path.join(settings.providers_dir, 'daqd.yaml'), 'utf8')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(provider.providers[0]?.options.path).to.equal(settings.dashboards_dir);
    // The string field and the events measurement have no panel.
    expect(titles(await dashboard('bees_lab'))).to.deep.equal([
      'row:gw_n1',
      'timeseries:temperature',
      'timeseries:weight',
    ]);
    expect(titles(await dashboard('bees_field'))).to.deep.equal(['row:gw_n9', 'timeseries:humidity']);
    expect(log.lines.filter((l) => l.startsWith('error') || l.startsWith('warning'))).to.deep.equal([]);
  });

  it('adds a panel when a new node or field is stored, and a data source for a new database', async () => {
    await sink.write('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    const p = make();
    await p.start();
    const first = await stat(dashboardFile('bees_lab'));
    p.onStored('bees_lab', [point('gw_n1_sensors', { weight: 2 })]);
    await p.flush();
    expect((await stat(dashboardFile('bees_lab'))).mtimeMs).to.equal(first.mtimeMs);

    p.onStored('bees_lab', [point('gw_n2_sensors', { weight: 3, label: 'x' })]);
    p.onStored('bees_lab', [point('gw_n1_sensors', { weight: 3, voltage: 3.3 })]);
    await p.flush();
    expect(titles(await dashboard('bees_lab'))).to.deep.equal([
      'row:gw_n1',
      'timeseries:voltage',
      'timeseries:weight',
      'row:gw_n2',
      'timeseries:weight',
    ]);
    p.onStored('ants_lab', [point('sensors', { count: 5n })]);
    await p.flush();
    expect(await datasourceNames()).to.deep.equal(['ants_lab', 'bees_lab']);
    expect(titles(await dashboard('ants_lab'))).to.deep.equal(['row:ants_lab', 'timeseries:count']);
  });

  it('writes on its own after the debounce', async () => {
    const p = make({ debounceMs: 20 });
    await p.start();
    p.onStored('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    expect(existsSync(dashboardFile('bees_lab'))).to.equal(false);
    for (let i = 0; i < 100 && !existsSync(dashboardFile('bees_lab')); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(titles(await dashboard('bees_lab'))).to.deep.equal(['row:gw_n1', 'timeseries:weight']);
  });

  it("keeps a dashboard the user edited, writes daqd's beside it with its own uid, warns once", async () => {
    await sink.write('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    const p = make();
    await p.start();
    const edited = JSON.parse(await readFile(dashboardFile('bees_lab'), 'utf8')) as Record<string, unknown>;
    edited['title'] = 'My bees';
    await writeFile(dashboardFile('bees_lab'), JSON.stringify(edited));

    p.onStored('bees_lab', [point('gw_n2_sensors', { weight: 2 })]);
    await p.flush();
    p.onStored('bees_lab', [point('gw_n3_sensors', { weight: 2 })]);
    await p.flush();
    expect((await dashboard('bees_lab')).title).to.equal('My bees');
    const copy = JSON.parse(
      await readFile(path.join(settings.dashboards_dir, 'bees_lab.daqd.json'), 'utf8'),
    ) as Dashboard;
    expect(copy.uid).to.equal('daqd-bees_lab-daqd');
    expect(copy.title).to.equal('bees_lab (daqd)');
    expect(titles(copy)).to.include.members(['row:gw_n2', 'row:gw_n3']);
    const warnings = log.lines.filter((l) => l.startsWith('warning'));
    expect(warnings).to.deep.equal([
      `warning: grafana: '${dashboardFile('bees_lab')}' was edited by hand; left as it is, daqd's version ` +
        `written to '${path.join(settings.dashboards_dir, 'bees_lab.daqd.json')}'`,
    ]);

    // A restarted daqd (a new provisioner, the record on disk) keeps it too.
    await p.stop();
    await make().start();
    expect((await dashboard('bees_lab')).title).to.equal('My bees');
  });

  it("keeps an edited data source file and puts daqd's version under data_dir", async () => {
    await sink.write('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    const p = make();
    await p.start();
    const file = path.join(settings.datasources_dir, 'daqd.yaml');
    await writeFile(file, `${await readFile(file, 'utf8')}# mine\n`);
    p.onStored('ants_lab', [point('sensors', { weight: 1 })]);
    await p.flush();
    expect(await readFile(file, 'utf8')).to.match(/# mine\n$/);
    const aside = parse(await readFile(path.join(dir, 'var/grafana/datasources.yaml'), 'utf8')) as {
      datasources: Array<{ name: string }>;
    };
    expect(aside.datasources.map((d) => d.name)).to.deep.equal(['ants_lab', 'bees_lab']);
  });

  it('never throws into the write path; logs a failure once and writes on the next change', async () => {
    const p = make();
    await p.start();
    // The dashboards folder is gone (a file in its place): writing fails.
    await rm(settings.dashboards_dir, { recursive: true });
    await writeFile(settings.dashboards_dir, 'not a folder');
    p.onStored('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    await p.flush();
    p.onStored('bees_lab', [point('gw_n2_sensors', { weight: 1 })]);
    await p.flush();
    const errors = log.lines.filter((l) => l.startsWith('error'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/^error: grafana: writing the provisioning files failed: /);

    await rm(settings.dashboards_dir);
    await mkdir(settings.dashboards_dir);
    p.onStored('bees_lab', [point('gw_n3_sensors', { weight: 1 })]);
    await p.flush();
    expect(titles(await dashboard('bees_lab'))).to.deep.equal([
      'row:gw_n1',
      'timeseries:weight',
      'row:gw_n2',
      'timeseries:weight',
      'row:gw_n3',
      'timeseries:weight',
    ]);
  });

  it('logs a store that does not answer at start and goes on', async () => {
    const broken: Sink = {
      kind: 'broken',
      start: async () => {},
      stop: async () => {},
      write: async () => {},
      query: () => Promise.reject(new Error('no')),
      databases: () => Promise.reject(new Error('store down')),
      measurements: async () => [],
      ping: async () => false,
    };
    const p = make({ sink: broken });
    await p.start();
    expect(log.lines).to.deep.equal(['error: grafana: writing the provisioning files failed: store down']);
    p.onStored('bees_lab', [point('gw_n1_sensors', { weight: 1 })]);
    await p.flush();
    expect(titles(await dashboard('bees_lab'))).to.deep.equal(['row:gw_n1', 'timeseries:weight']);
  });
});
