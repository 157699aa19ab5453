import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';

// Kotori's own files, as its repository has them (etc/examples/…).
const examples = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../fixtures/kotori/development/etc/examples',
);
const main = readMainSettings(parseIni('[mqtt]\nhost = broker\n', '/etc/daqd/daqd.ini').ini, {}).settings;

function apps(text: string, file = '/apps/a.ini') {
  return readRealmApps([parseIni(text, file).ini], main);
}

const composite = (lines: string) =>
  `[c]\ntype = application\nrealm = c\napp_factory = kotori.daq.application.composite:boot\n${lines}`;

describe('config: Kotori composite apps (app_factory = kotori.daq.application.composite:boot)', () => {
  it("loads Kotori's luftdaten vendor app as it is: an mqttkit realm with HTTP ingest and export", async () => {
    const file = path.join(examples, 'vendors/luftdaten.ini');
    const result = apps(await readFile(file, 'utf8'), file);
    expect(result.problems.map((p) => p.format())).to.deep.equal([]);
    expect(result.warnings).to.deep.equal([]);
    const [app] = result.apps;
    expect(result.apps).to.have.length(1);
    expect(app).to.include({
      name: 'luftdaten',
      realm: 'luftdaten',
      strategy: 'mqttkit',
      http_ingest: true,
      http_export: true,
      metrics_logger_interval: 60,
    });
    expect(app?.mqtt_topics).to.deep.equal(['luftdaten/#']);
    // The forwarder's route: `…/{address}/{slot:(data|event)}` → `luftdaten/{address}/{slot}.json`.
    const route = app?.ingest_routes[0];
    const values = route?.match('/api/luftdaten/berlin/mitte/station-7/data');
    expect(values).to.not.equal(undefined);
    expect(route?.target(values!)).to.equal('luftdaten/berlin/mitte/station-7/data.json');
  });

  it("loads Kotori's composite example (disabled as shipped) when enabled: WanBusStrategy is mqttkit", async () => {
    const text = (await readFile(path.join(examples, 'composite.ini'), 'utf8')).replace(
      'enable      = false',
      'enable      = true',
    );
    const result = apps(text);
    expect(result.problems.map((p) => p.format())).to.deep.equal([]);
    expect(result.apps.map((a) => [a.realm, a.strategy])).to.deep.equal([['composite-1', 'mqttkit']]);
  });

  it('reads LanStrategy as basic, and services as a comma or newline list', () => {
    const result = apps(
      composite(
        'services = kotori.daq.services.mig:MqttInfluxGrafanaService,\n' +
          '  kotori.vendor.luftdaten.application:LuftdatenMqttInfluxGrafanaService\n' +
          'strategy = kotori.daq.strategy.lan:LanStrategy\n',
      ),
    );
    expect(result.problems.map((p) => p.format())).to.deep.equal([]);
    expect(result.apps[0]?.strategy).to.equal('basic');
  });

  it('refuses a missing or unknown strategy and an unknown service, with file:line', () => {
    const missing = apps(composite('services = kotori.daq.services.mig:MqttInfluxGrafanaService\n'));
    expect(missing.apps).to.deep.equal([]);
    expect(missing.problems.map((p) => p.format())).to.deep.equal([
      '/apps/a.ini:1: c.strategy: missing: a composite app names its strategy (known: kotori.daq.strategy.wan:WanBusStrategy, kotori.daq.strategy.lan:LanStrategy)',
    ]);
    const unknown = apps(
      composite(
        'services = kotori.vendor.other:Service\nstrategy = kotori.daq.strategy.wan:WanBusStrategie\n',
      ),
    );
    expect(unknown.apps).to.deep.equal([]);
    expect(unknown.problems.map((p) => p.format())).to.deep.equal([
      "/apps/a.ini:5: c.services: unknown service 'kotori.vendor.other:Service' (known: kotori.daq.services.mig:MqttInfluxGrafanaService, kotori.vendor.luftdaten.application:LuftdatenMqttInfluxGrafanaService)",
      "/apps/a.ini:6: c.strategy: unknown strategy 'kotori.daq.strategy.wan:WanBusStrategie' (known: kotori.daq.strategy.wan:WanBusStrategy, kotori.daq.strategy.lan:LanStrategy)",
    ]);
    const noServices = apps(composite('strategy = kotori.daq.strategy.wan:WanBusStrategy\n'));
    expect(noServices.problems.map((p) => p.format())[0]).to.match(
      /^\/apps\/a\.ini:1: c\.services: missing: a composite app lists its services/,
    );
  });
});
