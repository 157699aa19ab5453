import { access, lstat, mkdir, mkdtemp, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ROOT, runCli } from '../support/daqd.js';

const fixtures = path.join(ROOT, 'test/fixtures/kotori');
const IGNORED = 'ignored: used by Kotori, not needed by daqd';

/** `daqd check`, `daqd apps` and a refused `daqd run` on Kotori's configuration files, as processes. */
describe("cli: Kotori's configuration files (daqd check, apps, run)", function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-kotori-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads Kotori's production.ini with every key: one info line per ignored key, warnings per empty glob", async () => {
    const main = path.join(fixtures, 'production/kotori.ini');
    const { code, stdout, stderr } = await runCli(['check', '--config', main]);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    for (const [line, key] of [
      [13, 'kotori.use_database'],
      [14, 'kotori.debug'],
      [22, 'mqtt.debug'],
      [35, 'influxdb.pool_size'],
      [36, 'influxdb.use_udp'],
      [37, 'influxdb.udp_port'],
      [38, 'influxdb.database'],
      [39, 'influxdb.version'],
    ] as const) {
      expect(lines).to.include(`${main}:${line}: ${key}: ${IGNORED}`);
    }
    for (const glob of ['conf.d/*.ini', 'conf.d/*/*.ini', 'apps-enabled/*/*.ini']) {
      expect(lines.some((l) => l.startsWith(`warning: include '${glob}' matches no file`))).to.equal(
        true,
        glob,
      );
    }
    expect(lines).to.include(
      `include 'apps-enabled/*.ini': matched beside the main file (${path.join(fixtures, 'production/apps-enabled/*.ini')})`,
    );
    expect(lines.at(-1)).to.equal(`${main}: configuration OK; realms: mqttkit-1`);
  });

  it("resolves development.ini's includes in the working directory when nothing matches beside it", async () => {
    const main = 'etc/development.ini';
    const cwd = path.join(fixtures, 'development');
    const found = await runCli(['check', '--config', main], { cwd });
    expect(found.stderr).to.equal('');
    expect(found.code).to.equal(0);
    expect(found.stdout).to.contain(
      `include 'etc/examples/*/*.ini': matched in the working directory (${cwd}/etc/examples/*/*.ini), as Kotori reads it`,
    );
    expect(found.stdout).to.contain(`${path.join(cwd, main)}:31: influxdb.pool_size: ${IGNORED}`);
    expect(found.stdout).to.contain('configuration OK; realms: basic, hiveeyes, luftdaten, weewx');

    // From elsewhere nothing matches: each glob is named, and no realm is a warning, not an error.
    const lost = await runCli(['check', '--config', path.join(cwd, main)], { cwd: dir });
    expect(lost.code).to.equal(0);
    for (const glob of [
      'etc/conf.d/*.ini',
      'etc/conf.d/*/*.ini',
      'etc/examples/*.ini',
      'etc/examples/*/*.ini',
    ]) {
      expect(lost.stdout).to.contain(
        `warning: include '${glob}' matches no file, neither beside the main file`,
      );
    }
    expect(lost.stdout).to.match(/^warning: no realm configured: /m);
    expect(lost.stdout).to.contain('configuration OK; realms: (none)');
  });

  it('names a close key for an unknown main-file key and exits 78', async () => {
    const main = path.join(dir, 'kotori.ini');
    await writeFile(main, '[influxdb]\nhost = localhost\npool_sise = 20\n[mqtt]\nhots = localhost\n');
    const { code, stderr } = await runCli(['check', '--config', main]);
    expect(code).to.equal(78);
    expect(stderr.trim().split('\n')).to.deep.equal([
      `${main}:5: mqtt.hots: unknown key (did you mean 'host'?)`,
      `${main}:3: influxdb.pool_sise: unknown key (did you mean 'pool_size'?)`,
      `${main}: 2 problems found`,
    ]);
  });

  it('takes [kotori] http_port together with [http] and DAQD_HTTP_PORT without an error', async () => {
    const main = path.join(dir, 'kotori.ini');
    await mkdir(path.join(dir, 'apps-enabled'));
    await writeFile(
      path.join(dir, 'apps-enabled', 'a.ini'),
      '[a]\ntype = application\nrealm = a\napplication = basic\n',
    );
    await writeFile(main, '[kotori]\nhttp_listen = localhost\nhttp_port = 24642\n[http]\nport = 8080\n');
    const { code, stdout, stderr } = await runCli(['check', '--config', main], {
      env: { DAQD_HTTP_PORT: '9090', DAQD_HTTP_LISTEN: '127.0.0.1' },
    });
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout).to.contain(`${main}:3: kotori.http_port: not used: [http] port (or $DAQD_HTTP_PORT) wins`);
    expect(stdout).to.contain(
      `${main}:2: kotori.http_listen: not used: [http] listen (or $DAQD_HTTP_LISTEN) wins`,
    );
  });

  it('refuses [cratedb] without [influxdb] or a backend: daqd check and daqd run exit 78', async () => {
    const main = path.join(dir, 'kotori.ini');
    await writeFile(main, '[kotori]\nhttp_port = 24642\n\n[cratedb]\nhost = localhost\n');
    const expected = `${main}:4: cratedb: daqd cannot write to CrateDB; add an [influxdb] section (InfluxDB 1.x), or set [storage] backend = sqlite for the embedded store`;
    const check = await runCli(['check', '--config', main]);
    expect(check.code).to.equal(78);
    expect(check.stderr.split('\n')[0]).to.equal(expected);
    const run = await runCli(['run', '--config', main], {
      env: { DAQD_DAQD_DATA_DIR: path.join(dir, 'var') },
    });
    expect(run.code).to.equal(78);
    expect(run.stderr).to.contain(expected);
    expect(run.stderr).to.contain('invalid configuration; not started');
    // Nothing was started: no embedded store was created.
    const created = await access(path.join(dir, 'var')).then(
      () => true,
      () => false,
    );
    expect(created).to.equal(false);

    await writeFile(main, '[cratedb]\nhost = localhost\n[storage]\nbackend = sqlite\n');
    const explicit = await runCli(['check', '--config', main]);
    expect(explicit.code).to.equal(0);
    expect(explicit.stdout).to.contain(
      `${main}:1: cratedb: daqd cannot write to CrateDB; readings go to sqlite`,
    );
  });

  it("enables and disables apps in Kotori's apps-enabled among several includes, nowhere else", async () => {
    const main = path.join(dir, 'kotori.ini');
    await mkdir(path.join(dir, 'apps-available'));
    await mkdir(path.join(dir, 'apps-enabled'));
    await writeFile(
      main,
      `[main]\ninclude = ${dir}/conf.d/*.ini, ${dir}/conf.d/*/*.ini,\n  ${dir}/apps-enabled/*.ini, ${dir}/apps-enabled/*/*.ini\n`,
    );
    await writeFile(
      path.join(dir, 'apps-available', 'mqttkit.ini'),
      '[mqttkit-1]\ntype = application\nrealm = mqttkit-1\napplication = kotori.daq.application.mqttkit:mqttkit_application\n',
    );
    const enabled = await runCli(['apps', 'enable', 'mqttkit', '--config', main]);
    expect(enabled.stderr).to.equal('');
    expect(enabled.code).to.equal(0);
    const link = path.join(dir, 'apps-enabled', 'mqttkit.ini');
    expect((await lstat(link)).isSymbolicLink()).to.equal(true);
    expect(await readlink(link)).to.equal('../apps-available/mqttkit.ini');
    const confd = await access(path.join(dir, 'conf.d')).then(
      () => true,
      () => false,
    );
    expect(confd, 'conf.d created').to.equal(false);

    const list = await runCli(['apps', 'list', '--config', main]);
    expect(list.stdout.split('\n')).to.include('[enabled] mqttkit');
    const check = await runCli(['check', '--config', main]);
    expect(check.stdout).to.contain('configuration OK; realms: mqttkit-1');

    const disabled = await runCli(['apps', 'disable', 'mqttkit', '--config', main]);
    expect(disabled.code).to.equal(0);
    const gone = await lstat(link).then(
      () => false,
      () => true,
    );
    expect(gone).to.equal(true);
  });

  it('warns of unknown app keys with a suggestion and of a misspelled type; exit 0', async () => {
    const main = path.join(dir, 'daqd.ini');
    await mkdir(path.join(dir, 'apps-enabled'));
    const app = path.join(dir, 'apps-enabled', 'r.ini');
    await writeFile(main, '[storage]\nbackend = sqlite\n');
    await writeFile(
      app,
      '[r]\ntype = application\nrealm = r\napplication = basic\nmqtt_topic = r/#\n' +
        'services = kotori.daq.services.mig:MqttInfluxGrafanaService\n' +
        '[s]\ntype = aplication\nrealm = s\napplication = basic\n',
    );
    const { code, stdout, stderr } = await runCli(['check', '--config', main]);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    const warnings = stdout.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).to.deep.equal([
      `warning: ${app}:5: r.mqtt_topic: unknown key, ignored (did you mean 'mqtt_topics'?)`,
      `warning: ${app}:8: s.type: 'aplication' is neither 'application' nor 'vendor', so this section is not read as an app (did you mean 'application'?)`,
    ]);
    expect(stdout).to.contain('configuration OK; realms: r');
  });

  // The rule for a main file under /etc (data_dir /var/lib/daqd) is checked in
  // test/config/main-settings.test.ts on a parsed file, without writing to /etc.
  it('prints the data_dir it chose: beside the main file in a checkout', async () => {
    const local = await runCli(['check', '--config', path.join(fixtures, 'production/kotori.ini')]);
    expect(local.stdout).to.contain(`data_dir: ${path.join(fixtures, 'production/var')}`);
  });

  it('refuses anything but debug flags in $KOTORI_OPTS with a usage error', async () => {
    const { code, stderr } = await runCli(['run', '--config', path.join(dir, 'none.ini')], {
      env: { KOTORI_OPTS: '--debug-mqtt --frobnicate' },
    });
    expect(code).to.equal(64);
    expect(stderr).to.match(/^daqd: \$KOTORI_OPTS: .*--frobnicate/);
  });
});
