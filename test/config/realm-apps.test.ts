import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { parseIni } from '../../lib/config/ini-file.js';
import { loadMainSettings, loadRealmApps } from '../../lib/config/load.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';
import { DEFAULT_TAG_FIELDS } from '../../lib/config/settings.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const main = readMainSettings(
  parseIni('[mqtt]\nhost = broker\nusername = u\n', '/etc/daqd/daqd.ini').ini,
  {},
).settings;

function apps(text: string) {
  return readRealmApps([parseIni(text, '/apps/a.ini').ini], main);
}

describe('config/realm-apps', () => {
  it("reads Kotori's app files: entry points, vendor, [<realm>:mqtt], forwarders", async () => {
    const { settings } = await loadMainSettings(path.join(fixtures, 'kotori/main.ini'), {});
    const loaded = await loadRealmApps(settings);
    expect(loaded.problems.map((p) => p.format())).to.deep.equal([]);
    expect(loaded.apps.map((a) => [a.name, a.realm, a.strategy])).to.deep.equal([
      ['mqttkit-1', 'mqttkit-1', 'mqttkit'],
      ['hiveeyes', 'hiveeyes', 'mqttkit'],
    ]);
    const [mqttkit, hiveeyes] = loaded.apps;
    expect(mqttkit?.mqtt).to.include({
      host: 'mqtt.example.org',
      port: 1884,
      username: 'foobar',
      password: 'secret',
    });
    expect(mqttkit?.direct_channel_allowed_networks).to.deep.equal(['itest', 'testdrive']);
    expect(mqttkit?.http_ingest).to.equal(false);
    expect(hiveeyes?.mqtt).to.include({ host: 'localhost', username: 'kotori' });
    expect(hiveeyes?.mqtt_topics).to.deep.equal(['hiveeyes/#']);
    expect(hiveeyes?.tags).to.deep.equal(DEFAULT_TAG_FIELDS);
    expect(hiveeyes?.forwarders.map((f) => f.section)).to.deep.equal([
      'hiveeyes.http-acquisition',
      'hiveeyes.data-export',
    ]);
    expect(hiveeyes?.forwarders[1]?.target).to.equal('influxdb:/{database}?measurement={measurement}');
    expect(hiveeyes).to.include({ http_ingest: true, http_export: true });
    expect(loaded.notes.join('\n'))
      .to.match(/\[mqttkit-2\] is disabled/)
      .and.to.match(/firmware builder is not part of daqd; skipped/);
  });

  it('knows our short strategy names and Kotori entry points as the same thing', () => {
    const { apps: list, problems } = apps(
      [
        '[a]\ntype = application\nrealm = a\napplication = mqttkit',
        '[b]\ntype = application\nrealm = b\napplication = basic',
        '[c]\ntype = application\nrealm = c\napp_factory = kotori.daq.application.basic:application',
      ].join('\n'),
    );
    expect(problems).to.deep.equal([]);
    expect(list.map((a) => a.strategy)).to.deep.equal(['mqttkit', 'basic', 'basic']);
    expect(list[0]?.mqtt_topics).to.deep.equal(['a/#']);
  });

  it('reads our own keys', () => {
    const { apps: list, problems } = apps(
      '[r]\ntype = application\nrealm = r\napplication = mqttkit\nhttp_api = true\ntags = sensor_id, site\n' +
        'mqtt_shared_group = pool\nhide_inactive_after_days = 7\nmqtt_topics = r/+/+/+/data.json, r/device/#\n',
    );
    expect(problems).to.deep.equal([]);
    expect(list[0]).to.include({ http_ingest: true, http_export: true, mqtt_shared_group: 'pool' });
    expect(list[0]?.tags).to.deep.equal(['sensor_id', 'site']);
    expect(list[0]?.hide_inactive_after_days).to.equal(7);
    expect(list[0]?.mqtt_topics).to.deep.equal(['r/+/+/+/data.json', 'r/device/#']);
  });

  it('invalidates only the bad app and says why, with file:line', () => {
    const result = apps(
      [
        '[good]\ntype = application\nrealm = good\napplication = mqttkit',
        '[bad1]\ntype = application\nrealm = bad1\napplication = kotori.nonsense:boot',
        '[bad2]\ntype = application\napplication = basic',
        '[bad3]\ntype = application\nrealm = bad3\napplication = basic\nmqtt_topics = bad3/#/x',
        '[dup]\ntype = application\nrealm = good\napplication = basic',
      ].join('\n'),
    );
    expect(result.apps.map((a) => a.realm)).to.deep.equal(['good']);
    expect(result.problems.map((p) => p.format())).to.deep.equal([
      "/apps/a.ini:8: bad1.application: unknown entry point 'kotori.nonsense:boot' (known: mqttkit, basic, kotori.daq.application.mqttkit:mqttkit_application, kotori.daq.application.basic:application, kotori.daq.application.basic:basic_application, kotori.daq.application.composite:boot)",
      '/apps/a.ini:9: bad2.realm: missing: every app needs a realm',
      "/apps/a.ini:16: bad3.mqtt_topics: 'bad3/#/x': '#' must be a whole level and the last one",
      "/apps/a.ini:19: dup.realm: realm 'good' already has an app ([good] in /apps/a.ini:1); one app per realm",
    ]);
    expect([...result.invalidRealms].sort()).to.deep.equal(['bad1', 'bad2', 'bad3']);
  });

  it('compiles forwarders at load: a broken one makes its app invalid, the other realms run', () => {
    const fwd = (name: string, realm: string, source: string, target: string) =>
      `[${name}]\ntype = application\napplication = kotori.io.protocol.forwarder:boot\nrealm = ${realm}\nsource = ${source}\ntarget = ${target}`;
    const result = apps(
      [
        '[good]\ntype = application\nrealm = good\napplication = mqttkit',
        fwd(
          'good.http',
          'good',
          'http:/api/good/{address:.*}/{slot:(data|event)} [POST]',
          'mqtt:/good/{address}/{slot}.json',
        ),
        '[open]\ntype = application\nrealm = open\napplication = mqttkit',
        fwd(
          'open.http',
          'open',
          'http:/api/open/{address:.*/{slot:(data|event)} [POST]',
          'mqtt:/open/{address}.json',
        ),
        '[unknown]\ntype = application\nrealm = unknown\napplication = mqttkit',
        fwd(
          'unknown.http',
          'unknown',
          'http:/api/unknown/{address:.*} [POST]',
          'mqtt:/unknown/{node}/data.json',
        ),
      ].join('\n'),
    );
    expect(result.problems.map((p) => p.format())).to.deep.equal([
      "/apps/a.ini:19: open.http.source: '/api/open/{address:.*/{slot:(data|event)}': unclosed '{' at position 11",
      "/apps/a.ini:30: unknown.http.target: '{node}' is not a placeholder of the source '/api/unknown/{address:.*}'",
    ]);
    expect(result.apps.map((a) => a.realm)).to.deep.equal(['good']);
    expect([...result.invalidRealms].sort()).to.deep.equal(['open', 'unknown']);
    const routes = result.apps[0]?.ingest_routes ?? [];
    expect(routes.map((r) => [r.section, r.role])).to.deep.equal([['good.http', 'ingest']]);
    expect(routes[0]?.target(routes[0].match('/api/good/n/g/x/event') ?? {})).to.equal(
      'good/n/g/x/event.json',
    );
  });

  it('one rule says which forwarders are ingest and export: [POST, PUT] is ingest, [GET] to influxdb export', () => {
    const { apps: list, problems } = apps(
      [
        '[r]\ntype = application\nrealm = r\napplication = mqttkit',
        '[r.http]\ntype = application\napplication = kotori.io.protocol.forwarder:boot\nrealm = r',
        'source = http:/api/r/{address:.*}/{slot:(data|event)} [POST, PUT]\ntarget = mqtt:/r/{address}/{slot}.json',
        '[e]\ntype = application\nrealm = e\napplication = mqttkit',
        '[e.export]\ntype = application\napplication = kotori.io.protocol.forwarder:boot\nrealm = e',
        'source = http:/api/e/{address:.*}/{slot:(data|event)}.{suffix} [GET, HEAD]\ntarget = influxdb:/{database}',
      ].join('\n'),
    );
    expect(problems).to.deep.equal([]);
    expect(list.map((a) => [a.realm, a.http_ingest, a.http_export])).to.deep.equal([
      ['r', true, false],
      ['e', false, true],
    ]);
    expect(list[0]?.ingest_routes.map((r) => r.methods)).to.deep.equal([['POST', 'PUT']]);
  });

  it('ignores sections that are not apps; a key it does not know is no problem', () => {
    const { apps: list, problems } = apps(
      '[notes]\nfoo = bar\n[r]\ntype = application\nrealm = r\napplication = basic\nwhatever = 1\n',
    );
    expect(problems).to.deep.equal([]);
    expect(list.map((a) => a.realm)).to.deep.equal(['r']);
  });

  it("warns of an unknown app key, suggesting a close one; Kotori's app keys stay silent", async () => {
    const {
      apps: list,
      problems,
      warnings,
    } = apps(
      '[r]\ntype = application\nrealm = r\napplication = basic\nmqtt_topic = r/#\nwhatever = 1\n' +
        'services = kotori.daq.services.mig:MqttInfluxGrafanaService\nstrategy = kotori.daq.strategy.wan:WanBusStrategy\n' +
        '[r.export]\ntype = application\napplication = kotori.io.protocol.forwarder:boot\nrealm = r\n' +
        'source = http:/api/{realm:r}/{node:.*}/{slot:(data|event)}.{suffix} [GET]\ntarget = influxdb:/{database}\n' +
        'transform = kotori.io.protocol.influx:QueryTransformer.transform\ntarge = x\n',
    );
    expect(problems).to.deep.equal([]);
    expect(list.map((a) => a.realm)).to.deep.equal(['r']);
    expect(warnings).to.deep.equal([
      "/apps/a.ini:5: r.mqtt_topic: unknown key, ignored (did you mean 'mqtt_topics'?)",
      '/apps/a.ini:6: r.whatever: unknown key, ignored',
      "/apps/a.ini:16: r.export.targe: unknown key, ignored (did you mean 'target'?)",
    ]);

    // Kotori's own example apps: vendor, forwarder and firmware keys.
    const file = path.join(fixtures, 'kotori/development/etc/development.ini');
    const { settings } = await loadMainSettings(file, {}, path.join(fixtures, 'kotori/development'));
    const loaded = await loadRealmApps(settings);
    expect(loaded.problems).to.deep.equal([]);
    expect(loaded.warnings).to.deep.equal([]);
    expect(loaded.apps.map((a) => a.realm)).to.deep.equal(['basic', 'hiveeyes', 'luftdaten', 'weewx']);
  });

  it('warns of a section whose type is close to application or vendor, and leaves it out', () => {
    const { apps: list, warnings } = apps(
      '[a]\ntype = applicaton\nrealm = a\napplication = basic\n[b]\ntype = Vendor\nrealm = b\n' +
        '[c]\ntype = sensor\n[d]\ntype = application\nrealm = d\napplication = basic\n',
    );
    expect(list.map((a) => a.realm)).to.deep.equal(['d']);
    expect(warnings).to.deep.equal([
      "/apps/a.ini:2: a.type: 'applicaton' is neither 'application' nor 'vendor', so this section is not read as an app (did you mean 'application'?)",
      "/apps/a.ini:6: b.type: 'Vendor' is neither 'application' nor 'vendor', so this section is not read as an app (did you mean 'vendor'?)",
    ]);
  });

  describe('include globs', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-include-'));
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('expands relative and absolute globs, sorted, and reports unreadable files', async () => {
      await writeFile(path.join(dir, 'b.ini'), '[b]\ntype = application\nrealm = b\napplication = basic\n');
      await writeFile(path.join(dir, 'a.ini'), '[a]\ntype = application\nrealm = a\napplication = basic\n');
      await writeFile(
        path.join(dir, 'skip.txt'),
        '[x]\ntype = application\nrealm = x\napplication = basic\n',
      );
      await writeFile(
        path.join(dir, 'daqd.ini'),
        `[main]\ninclude = *.ini, ${dir}/none/*.ini, missing.ini\n`,
      );
      const { settings } = await loadMainSettings(path.join(dir, 'daqd.ini'), {});
      const loaded = await loadRealmApps(settings);
      expect(loaded.files).to.deep.equal([path.join(dir, 'a.ini'), path.join(dir, 'b.ini')]);
      expect(loaded.apps.map((a) => a.realm)).to.deep.equal(['a', 'b']);
      expect(loaded.problems).to.deep.equal([]);
    });
  });
});

describe('config/realm-apps: topic and naming templates', () => {
  it('a topic_template selects the template strategy and gives the subscription', () => {
    const { apps: list, problems } = apps(
      [
        '[sensors]',
        'type = application',
        'realm = sensors',
        'topic_template = sensors/{node}/{field}',
        '[mysense]',
        'type = application',
        'realm = mysense',
        'topic_template = IoS/{project}/{serial}',
        'mqtt_topics = IoS/#',
        'database = {project}_{serial}',
        'measurement = data',
      ].join('\n'),
    );
    expect(problems.map((p) => p.format())).to.deep.equal([]);
    const [sensors, mysense] = list;
    expect(sensors).to.include({ strategy: 'template', database: undefined, measurement: undefined });
    expect(sensors?.topic_template?.text).to.equal('sensors/{node}/{field}');
    expect(sensors?.mqtt_topics).to.deep.equal(['sensors/+/+']);
    expect(mysense?.mqtt_topics).to.deep.equal(['IoS/#']);
    expect(mysense?.database?.text).to.equal('{project}_{serial}');
    expect(mysense?.measurement?.text).to.equal('data');
  });

  it('reports a bad template, a bad naming template and a conflicting strategy as file:line', () => {
    const {
      apps: list,
      problems,
      invalidRealms,
    } = apps(
      [
        '[a]',
        'type = application',
        'realm = a',
        'topic_template = sensors/{node}/{node}',
        '[b]',
        'type = application',
        'realm = b',
        'topic_template = IoS/{project}/{serial}',
        'database = {project}_{serail}',
        '[c]',
        'type = application',
        'realm = c',
        'application = mqttkit',
        'topic_template = c/{node}/{field}',
        '[d]',
        'type = application',
        'realm = d',
        'topic_template = d/{node}/{field}',
        'isems_timezone = Mars/Olympus',
        '[e]',
        'type = application',
        'realm = e',
        'application = basic',
        'measurement = data',
      ].join('\n'),
    );
    expect(list).to.deep.equal([]);
    expect([...invalidRealms].sort()).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    expect(problems.map((p) => p.format())).to.deep.equal([
      "/apps/a.ini:4: a.topic_template: 'sensors/{node}/{node}': part '{node}' appears twice",
      "/apps/a.ini:9: b.database: '{project}_{serail}': unknown placeholder '{serail}' (known: realm, node, field, project, serial)",
      "/apps/a.ini:13: c.application: 'mqttkit' and topic_template both name the topic layout: keep one",
      "/apps/a.ini:19: d.isems_timezone: 'Mars/Olympus' is not a known IANA time zone",
      '/apps/a.ini:24: e.measurement: only an app with a topic_template takes a naming template',
    ]);
  });

  it('a template app with http_api serves its latest overview, no ingest; isems_api and its zone', () => {
    const { apps: list, problems } = apps(
      [
        '[isems]',
        'type = application',
        'realm = isems',
        'topic_template = /isems/{node}/csvlog',
        'http_api = true',
        'isems_api = true',
        '[other]',
        'type = application',
        'realm = other',
        'application = basic',
        'isems_timezone = America/Sao_Paulo',
      ].join('\n'),
    );
    expect(problems).to.deep.equal([]);
    expect(list[0]).to.include({
      http_ingest: false,
      http_export: true,
      isems_api: true,
      isems_timezone: 'Europe/Berlin',
    });
    expect(list[1]).to.include({ isems_api: false, isems_timezone: 'America/Sao_Paulo' });
  });

  it("leaves mqttkit and basic as they were: Kotori's `database` vendor key is still ignored", () => {
    const {
      apps: list,
      problems,
      warnings,
    } = apps('[a]\ntype = application\nrealm = a\napplication = mqttkit\ndatabase = whatever\n');
    expect(problems).to.deep.equal([]);
    expect(warnings).to.deep.equal([]);
    expect(list[0]).to.include({ strategy: 'mqttkit', topic_template: undefined, database: undefined });
    expect(list[0]?.mqtt_topics).to.deep.equal(['a/#']);
  });
});
