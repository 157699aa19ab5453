import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';

describe('config/grafana-keys: [grafana]', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-grafana-keys-'));
    file = path.join(dir, 'daqd.ini');
    for (const sub of ['datasources', 'dashboards', 'json']) await mkdir(path.join(dir, sub));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const INFLUX = '[influxdb]\nurl = http://db.example:8086\nusername = daqd\npassword = s3cret\n';
  const DIRS = 'datasources_dir = datasources\nproviders_dir = dashboards\ndashboards_dir = json\n';
  function read(text: string, env: NodeJS.ProcessEnv = {}) {
    return readMainSettings(parseIni(text, file).ini, env);
  }

  it('is off by default and without the section', () => {
    const { settings, problems } = read(INFLUX);
    expect(problems).to.deep.equal([]);
    expect(settings.grafana).to.equal(undefined);
  });

  it('enabled: folders relative to the main file, InfluxDB login and URL defaulting to [influxdb]', () => {
    const { settings, problems } = read(`${INFLUX}[grafana]\nenable = true\n${DIRS}`);
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(settings.grafana).to.deep.equal({
      enable: true,
      datasources_dir: path.join(dir, 'datasources'),
      providers_dir: path.join(dir, 'dashboards'),
      dashboards_dir: path.join(dir, 'json'),
      folder: 'daqd',
      influxdb_url: 'http://db.example:8086',
      influxdb_username: 'daqd',
      influxdb_password: 's3cret',
    });
  });

  it('takes its own folder title and InfluxDB URL and login (Grafana may reach InfluxDB elsewhere)', () => {
    const { settings, problems } = read(
      `${INFLUX}[grafana]\nenable = yes\n${DIRS}folder = Bees\ninfluxdb_url = http://influxdb:8086/\n` +
        'influxdb_username = grafana\ninfluxdb_password = $INFLUX_PW\n',
    );
    expect(problems).to.deep.equal([]);
    expect(settings.grafana).to.include({
      folder: 'Bees',
      influxdb_url: 'http://influxdb:8086',
      influxdb_username: 'grafana',
      influxdb_password: '$INFLUX_PW',
    });
  });

  it('is switched on from the environment (DAQD_GRAFANA_ENABLE)', () => {
    const { settings, problems } = read(`${INFLUX}[grafana]\n${DIRS}`, { DAQD_GRAFANA_ENABLE: 'true' });
    expect(problems).to.deep.equal([]);
    expect(settings.grafana?.enable).to.equal(true);
  });

  it('enable = true with the SQLite store is a problem at file:line that says why', () => {
    const { settings, problems } = read(`[storage]\nbackend = sqlite\n[grafana]\n${DIRS}enable = true\n`);
    expect(settings.grafana).to.equal(undefined);
    expect(problems.map((p) => p.format())).to.deep.equal([
      `${file}:7: grafana.enable: Grafana provisioning needs the InfluxDB store ([storage] backend = influxdb): ` +
        "Grafana's SQLite data source cannot read daqd's embedded store (one file per database in daqd's own " +
        'table layout)',
    ]);
  });

  it('enable = true without a folder, or with one that does not exist, is a problem per key', () => {
    const { settings, problems } = read(
      `${INFLUX}[grafana]\nenable = true\ndatasources_dir = datasources\ndashboards_dir = nowhere\n`,
    );
    expect(settings.grafana).to.equal(undefined);
    expect(problems.map((p) => p.format())).to.deep.equal([
      `${file}:5: grafana.providers_dir: missing: enable = true needs the folder Grafana reads provisioning files from`,
      `${file}:8: grafana.dashboards_dir: '${path.join(dir, 'nowhere')}' is not an existing folder`,
    ]);
  });

  it('rejects unknown keys and a bad URL, with the key named', () => {
    const { problems } = read(
      `${INFLUX}[grafana]\nenable = true\n${DIRS}foldr = x\ninfluxdb_url = db:8086\n`,
    );
    expect(problems.map((p) => p.format())).to.deep.equal([
      `${file}:11: grafana.influxdb_url: 'db:8086' is not an http:// or https:// URL`,
      `${file}:10: grafana.foldr: unknown key (did you mean 'folder'?)`,
    ]);
  });

  it("accepts Kotori's keys with one info line each, saying daqd writes files instead", () => {
    const { settings, problems, notes } = read(
      `${INFLUX}[grafana]\nhost = localhost\nport = 3000\nusername = admin\npassword = admin\n`,
    );
    expect(problems).to.deep.equal([]);
    expect(settings.grafana).to.equal(undefined);
    const lines = notes.filter((n) => n.includes('grafana.'));
    expect(lines.map((n) => n.split(': ')[1])).to.deep.equal([
      'grafana.host',
      'grafana.port',
      'grafana.username',
      'grafana.password',
    ]);
    for (const line of lines) expect(line).to.contain("daqd writes Grafana's provisioning files instead");
  });
});
