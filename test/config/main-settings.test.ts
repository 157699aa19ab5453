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
    expect(settings.daqd.data_dir).to.equal('/etc/daqd/var');
    expect(settings.http).to.deep.equal({
      listen: '127.0.0.1',
      port: 24642,
      max_body_size: 10 * 1024 * 1024,
    });
    expect(settings.mqtt).to.include({ host: '127.0.0.1', port: 1883, embedded: false, protocol: 'mqtt' });
    expect(settings.influxdb).to.equal(undefined);
    expect(settings.storage.backend).to.equal('sqlite');
    expect(settings.daqd.shutdown_timeout).to.equal(10);
    expect(settings.daqd.metrics_logger_interval).to.equal(60);
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
      .and.to.match(/\[grafana\].*ignored/);
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
      '/etc/daqd/daqd.ini:3: http.lisen: unknown key',
      "/etc/daqd/daqd.ini:7: mqtt.embedded: 'perhaps' is not a boolean (use true or false)",
      "/etc/daqd/daqd.ini:9: storage.backend: 'influxdb' needs an [influxdb] section",
    ]);
  });

  it('selects TLS and its default port from tls = true or a CA file', () => {
    const { settings } = read('[mqtt]\nca_file = ca.pem\n');
    expect(settings.mqtt).to.include({ protocol: 'mqtts', port: 8883, ca_file: '/etc/daqd/ca.pem' });
  });
});
