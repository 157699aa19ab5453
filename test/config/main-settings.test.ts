import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { loadMainSettings } from '../../lib/config/load.js';
import { readMainSettings } from '../../lib/config/main-settings.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

function read(text: string, env: NodeJS.ProcessEnv = {}) {
  return readMainSettings(parseIni(text, '/etc/daqd/daqd.ini').ini, env);
}

describe('config/main-settings', () => {
  it('gives every key its default for an empty file', () => {
    const { settings, problems } = read('');
    expect(problems).to.deep.equal([]);
    expect(settings.include).to.deep.equal(['/etc/daqd/apps-enabled/*.ini']);
    // An installed main file (under /etc) keeps its state where the systemd unit lets daqd write.
    expect(settings.daqd.data_dir).to.equal('/var/lib/daqd');
    expect(settings.http).to.deep.equal({
      listen: '127.0.0.1',
      port: 24642,
      max_body_size: 10 * 1024 * 1024,
      access_file: undefined,
      allow_anonymous: false,
      cert_file: undefined,
      key_file: undefined,
      cors_origins: [],
      body_timeout: 30,
      live_store_interval: 1,
    });
    expect(settings.mqtt).to.include({ host: '127.0.0.1', port: 1883, embedded: false, protocol: 'mqtt' });
    expect(settings.influxdb).to.equal(undefined);
    expect(settings.storage.backend).to.equal('sqlite');
    expect(settings.daqd.shutdown_timeout).to.equal(10);
    expect(settings.daqd.metrics_logger_interval).to.equal(60);
  });

  it('[http] cors_origins: a list of origins or *; anything else is a problem naming the entry', () => {
    const good = read('[http]\ncors_origins = https://app.example.org, http://localhost:3000/,\n  *\n');
    expect(good.problems).to.deep.equal([]);
    expect(good.settings.http.cors_origins).to.deep.equal([
      'https://app.example.org',
      'http://localhost:3000',
      '*',
    ]);
    const bad = read('[http]\ncors_origins = https://app.example.org/isems, app.example.org, ftp://x.org\n');
    expect(bad.problems.map((p) => p.format())).to.deep.equal([
      "/etc/daqd/daqd.ini:2: http.cors_origins: 'https://app.example.org/isems' is not an origin (http[s]://host[:port], no path) or '*'",
      "/etc/daqd/daqd.ini:2: http.cors_origins: 'app.example.org' is not an origin (http[s]://host[:port], no path) or '*'",
      "/etc/daqd/daqd.ini:2: http.cors_origins: 'ftp://x.org' is not an origin (http[s]://host[:port], no path) or '*'",
    ]);
    expect(read('', { DAQD_HTTP_CORS_ORIGINS: '*' }).settings.http.cors_origins).to.deep.equal(['*']);
  });

  it("reads Kotori's main file unchanged: [kotori] aliases, [influxdb], ignored sections", async () => {
    const { settings, problems, notes } = await loadMainSettings(path.join(fixtures, 'kotori/main.ini'), {});
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    expect(settings.http.listen).to.equal('localhost');
    expect(settings.http.port).to.equal(24643);
    expect(settings.mqtt).to.include({
      host: 'localhost',
      port: 1883,
      username: 'kotori',
      password: 'kotori',
    });
    expect(settings.influxdb).to.include({
      url: 'http://localhost:8086',
      username: 'root',
      password: 'root',
    });
    expect(settings.storage.backend).to.equal('influxdb');
    expect(settings.include).to.deep.equal([
      path.join(fixtures, 'kotori/apps/mqttkit.ini'),
      path.join(fixtures, 'kotori/apps/hiveeyes.ini'),
    ]);
    expect(notes.join('\n'))
      .to.match(/\[wamp\].*ignored/)
      .and.to.match(/grafana\.host: ignored: Kotori's login to Grafana's HTTP API/);
  });

  describe('batch size: [storage] batch_size, [influxdb] batch_size its alias with InfluxDB', () => {
    const batchSize = (text: string) => {
      const { settings, problems, notes } = read(text);
      expect(problems.map((p) => p.format())).to.deep.equal([]);
      return { size: settings.storage.batch_size, notes: notes.join('\n') };
    };

    it('is 5000 points by default, for either store', () => {
      expect(batchSize('').size).to.equal(5000);
      expect(batchSize('[influxdb]\nhost = db\n').size).to.equal(5000);
    });

    it('is [storage] batch_size for either store', () => {
      expect(batchSize('[storage]\nbatch_size = 300\n').size).to.equal(300);
      expect(batchSize('[influxdb]\nhost = db\n[storage]\nbatch_size = 300\n').size).to.equal(300);
    });

    it("takes Kotori's [influxdb] batch_size when InfluxDB is the store", () => {
      expect(batchSize('[influxdb]\nbatch_size = 200\n').size).to.equal(200);
    });

    it('lets [storage] batch_size win over [influxdb] batch_size, and says so', () => {
      const { size, notes } = batchSize('[influxdb]\nbatch_size = 200\n[storage]\nbatch_size = 300\n');
      expect(size).to.equal(300);
      expect(notes).to.match(/influxdb\.batch_size: not used: \[storage\] batch_size wins/);
    });

    it('does not give [influxdb] batch_size to the embedded store', () => {
      const { size, notes } = batchSize('[influxdb]\nbatch_size = 200\n[storage]\nbackend = sqlite\n');
      expect(size).to.equal(5000);
      expect(notes).to.match(/influxdb\.batch_size: not used by the sqlite store/);
    });

    it('refuses a batch size below 1', () => {
      const { problems } = read('[storage]\nbatch_size = 0\n');
      expect(problems.map((p) => p.format()).join('\n')).to.match(/storage\.batch_size/);
    });
  });

  it('keeps absolute include globs and splits on commas and newlines', () => {
    const { settings } = read('[main]\ninclude = /etc/kotori/apps-enabled/*.ini, extra/*.ini\n  more.ini\n');
    expect(settings.include).to.deep.equal([
      '/etc/kotori/apps-enabled/*.ini',
      '/etc/daqd/extra/*.ini',
      '/etc/daqd/more.ini',
    ]);
  });

  it('lets DAQD_<SECTION>_<KEY> override any key, also for absent sections', () => {
    const { settings, problems } = read('[http]\nport = 1000\n', {
      DAQD_HTTP_PORT: '8080',
      DAQD_MQTT_HOST: 'broker.lan',
      DAQD_INFLUXDB_URL: 'https://influx.example:8443/',
      DAQD_DAQD_TIMEZONE: 'Europe/Berlin',
      DAQD_CONFIG: '/ignored.ini',
    });
    expect(problems).to.deep.equal([]);
    expect(settings.http.port).to.equal(8080);
    expect(settings.mqtt.host).to.equal('broker.lan');
    expect(settings.influxdb?.url).to.equal('https://influx.example:8443');
    expect(settings.storage.backend).to.equal('influxdb');
    expect(settings.daqd.timezone).to.equal('Europe/Berlin');
  });

  it('names the environment variable when an override is bad', () => {
    const { problems } = read('', { DAQD_HTTP_PORT: 'eighty' });
    expect(problems.map((p) => p.format())).to.deep.equal([
      "/etc/daqd/daqd.ini: http.port: 'eighty' is not a whole number (from $DAQD_HTTP_PORT)",
    ]);
  });

  it('reports every bad value and unknown key with file:line: section.key', () => {
    const text = [
      '[http]',
      'port = 99999',
      'lisen = 0.0.0.0',
      '[daqd]',
      'timezone = Mars/Olympus',
      '[mqtt]',
      'embedded = perhaps',
      '[storage]',
      'backend = influxdb',
    ].join('\n');
    const { problems } = read(text);
    expect(problems.map((p) => p.format())).to.deep.equal([
      "/etc/daqd/daqd.ini:5: daqd.timezone: 'Mars/Olympus' is not a known IANA time zone",
      '/etc/daqd/daqd.ini:2: http.port: 99999 is out of range (0 to 65535)',
      "/etc/daqd/daqd.ini:3: http.lisen: unknown key (did you mean 'listen'?)",
      "/etc/daqd/daqd.ini:7: mqtt.embedded: 'perhaps' is not a boolean (use true or false)",
      "/etc/daqd/daqd.ini:9: storage.backend: 'influxdb' needs an [influxdb] section",
    ]);
  });

  it('selects TLS and its default port from tls = true or a CA file', () => {
    const { settings } = read('[mqtt]\nca_file = ca.pem\n');
    expect(settings.mqtt).to.include({ protocol: 'mqtts', port: 8883, ca_file: '/etc/daqd/ca.pem' });
  });

  describe("Kotori's main files", () => {
    const ignored = 'ignored: used by Kotori, not needed by daqd';

    it("loads every key of Kotori's production.ini and docs, one info line per ignored key", async () => {
      const file = path.join(fixtures, 'kotori/production/kotori.ini');
      const { settings, problems, notes } = await loadMainSettings(file, {});
      expect(problems.map((p) => p.format())).to.deep.equal([]);
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
        expect(notes.filter((n) => n === `${file}:${line}: ${key}: ${ignored}`)).to.have.length(1, key);
      }
      for (const [line, key] of [
        [46, 'grafana.host'],
        [47, 'grafana.port'],
        [48, 'grafana.username'],
        [49, 'grafana.password'],
      ] as const) {
        const note = notes.filter((n) => n.startsWith(`${file}:${line}: ${key}: ignored: Kotori's login`));
        expect(note).to.have.length(1, key);
        expect(note[0]).to.contain("daqd writes Grafana's provisioning files instead");
      }
      expect(settings.grafana).to.equal(undefined);
      for (const section of ['wamp', 'mongodb', 'config-web']) {
        expect(
          notes.some((n) => n.includes(`section [${section}] is Kotori's`) && n.endsWith('ignored')),
        ).to.equal(true, section);
      }
      expect(settings.http).to.include({ listen: 'localhost', port: 24642 });
      expect(settings.mqtt).to.include({
        host: 'localhost',
        port: 1883,
        username: 'kotori',
        password: 'kotori',
      });
      expect(settings.influxdb).to.include({
        url: 'http://localhost:8086',
        username: 'root',
        password: 'root',
      });
      expect(settings.storage.backend).to.equal('influxdb');
    });

    it("loads Kotori's development.ini as shipped (commented keys, [mongodb], pool_size)", async () => {
      const file = path.join(fixtures, 'kotori/development/etc/development.ini');
      const { problems, notes } = await loadMainSettings(file, {});
      expect(problems.map((p) => p.format())).to.deep.equal([]);
      expect(notes).to.include(`${file}:31: influxdb.pool_size: ${ignored}`);
    });

    it('names a close known key for an unknown one, Kotori keys included, and none when nothing is close', () => {
      const { problems } = read(
        '[influxdb]\npool_sise = 20\nurl = http://db:8086\n[mqtt]\nfrobnicate = 1\nembeded = true\n',
      );
      expect(problems.map((p) => p.format())).to.deep.equal([
        '/etc/daqd/daqd.ini:5: mqtt.frobnicate: unknown key',
        "/etc/daqd/daqd.ini:6: mqtt.embeded: unknown key (did you mean 'embedded'?)",
        "/etc/daqd/daqd.ini:2: influxdb.pool_sise: unknown key (did you mean 'pool_size'?)",
      ]);
    });

    it('takes the HTTP address from the environment, then [http], then [kotori]; never an error', () => {
      const both =
        '[kotori]\nhttp_listen = localhost\nhttp_port = 24643\n[http]\nlisten = 0.0.0.0\nport = 8080\nallow_anonymous = true\n';
      const cases: Array<[string, NodeJS.ProcessEnv, string, number]> = [
        ['[kotori]\nhttp_listen = localhost\nhttp_port = 24643\n', {}, 'localhost', 24643],
        [both, {}, '0.0.0.0', 8080],
        [both, { DAQD_HTTP_PORT: '9090', DAQD_HTTP_LISTEN: '::1' }, '::1', 9090],
        ['[kotori]\nhttp_port = 24643\n', { DAQD_HTTP_PORT: '9090' }, '127.0.0.1', 9090],
        ['[http]\nport = 8080\n[kotori]\nhttp_listen = localhost\n', {}, 'localhost', 8080],
      ];
      for (const [text, env, listen, port] of cases) {
        const { settings, problems, notes } = read(text, env);
        const what = `${text} ${JSON.stringify(env)}`;
        expect(
          problems.map((p) => p.format()),
          what,
        ).to.deep.equal([]);
        expect(settings.http, what).to.include({ listen, port });
        if (text === both)
          expect(notes.join('\n'), what).to.match(/kotori\.http_port: not used: \[http\] port/);
      }
    });

    it('refuses [cratedb] or use_database = cratedb without [influxdb] or an explicit backend', () => {
      const refused = read('[cratedb]\nhost = localhost\n');
      expect(refused.problems.map((p) => p.format())).to.deep.equal([
        '/etc/daqd/daqd.ini:1: cratedb: daqd cannot write to CrateDB; add an [influxdb] section (InfluxDB 1.x), or set [storage] backend = sqlite for the embedded store',
      ]);
      const named = read('[kotori]\nuse_database = cratedb\n');
      expect(named.problems.map((p) => p.format())).to.deep.equal([
        "/etc/daqd/daqd.ini:2: kotori.use_database: daqd cannot write to 'cratedb'; add an [influxdb] section (InfluxDB 1.x), or set [storage] backend = sqlite for the embedded store",
      ]);
      for (const text of [
        '[cratedb]\nhost = localhost\n[influxdb]\nhost = db\n',
        '[cratedb]\nhost = localhost\n[storage]\nbackend = sqlite\n',
        '[kotori]\nuse_database = cratedb\n[storage]\nbackend = sqlite\n',
      ]) {
        const { problems, notes, settings } = read(text);
        expect(
          problems.map((p) => p.format()),
          text,
        ).to.deep.equal([]);
        expect(notes.join('\n'), text).to.contain(`readings go to ${settings.storage.backend}`);
      }
      const env = read('[cratedb]\nhost = localhost\n', { DAQD_STORAGE_BACKEND: 'sqlite' });
      expect(env.problems).to.deep.equal([]);
    });

    it('puts data_dir beside a main file outside /etc (a checkout), in /var/lib/daqd for one under /etc', () => {
      const checkout = readMainSettings(parseIni('', '/home/me/daqd/etc/daqd.ini').ini, {});
      expect(checkout.settings.daqd.data_dir).to.equal('/home/me/daqd/etc/var');
      const kotori = readMainSettings(parseIni('', '/etc/kotori/kotori.ini').ini, {});
      expect(kotori.settings.daqd.data_dir).to.equal('/var/lib/daqd');
      const explicit = readMainSettings(
        parseIni('[daqd]\ndata_dir = state\n', '/etc/kotori/kotori.ini').ini,
        {},
      );
      expect(explicit.settings.daqd.data_dir).to.equal('/etc/kotori/state');
    });
  });

  describe('[daqd] instance_id', () => {
    it('is empty by default: nothing moves, the client id is the host one', () => {
      const { settings, problems, warnings } = read('[influxdb]\n');
      expect(problems).to.deep.equal([]);
      expect(warnings).to.deep.equal([]);
      expect(settings.daqd.instance_id).to.equal('');
      expect(settings.mqtt.client_id).to.match(/^daqd-[^-]/);
      expect(settings.mqtt.client_id).to.not.match(/-a$/);
    });

    it('from the environment: appended to the default client id, not to an explicit one', () => {
      const env = { DAQD_DAQD_INSTANCE_ID: 'node_2-b' };
      const byDefault = read('[influxdb]\n', env);
      expect(byDefault.problems).to.deep.equal([]);
      expect(byDefault.settings.daqd.instance_id).to.equal('node_2-b');
      expect(byDefault.settings.mqtt.client_id).to.match(/^daqd-.+-node_2-b$/);
      const explicit = read('[influxdb]\n[mqtt]\nclient_id = collector\n', env);
      expect(explicit.settings.mqtt.client_id).to.equal('collector');
      const explicitEnv = read('[influxdb]\n', { ...env, DAQD_MQTT_CLIENT_ID: 'collector-2' });
      expect(explicitEnv.settings.mqtt.client_id).to.equal('collector-2');
    });

    it('is refused with a clear problem when it holds other characters or is too long', () => {
      const bad = read('[influxdb]\n[daqd]\ninstance_id = a/b\n');
      expect(bad.problems.map((p) => p.format())).to.deep.equal([
        "/etc/daqd/daqd.ini:3: daqd.instance_id: 'a/b' may hold only letters, digits, '_' and '-'",
      ]);
      expect(bad.settings.daqd.instance_id).to.equal('');
      const long = read('[influxdb]\n', { DAQD_DAQD_INSTANCE_ID: 'x'.repeat(65) });
      expect(long.problems.map((p) => p.message)).to.deep.equal([
        `'${'x'.repeat(20)}…' is longer than 64 characters (from $DAQD_DAQD_INSTANCE_ID)`,
      ]);
      expect(read('[influxdb]\n', { DAQD_DAQD_INSTANCE_ID: 'x'.repeat(64) }).problems).to.deep.equal([]);
    });

    it('warns that the SQLite store and the embedded broker do not fit several instances', () => {
      const { problems, warnings } = read('[daqd]\ninstance_id = a\n[mqtt]\nembedded = true\n');
      expect(problems).to.deep.equal([]);
      expect(warnings).to.have.length(2);
      expect(warnings[0]).to.match(
        /^\/etc\/daqd\/daqd.ini:2: daqd.instance_id: several daqd instances on the SQLite store are not supported/,
      );
      expect(warnings[1]).to.match(/several daqd instances with the embedded broker are not supported/);
      expect(read('[influxdb]\n[daqd]\ninstance_id = a\n').warnings).to.deep.equal([]);
    });
  });
});
