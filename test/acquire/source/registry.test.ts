import { expect } from 'chai';
import { EmbeddedBrokerSource } from '../../../lib/acquire/source/embedded-broker.js';
import { HttpSource, type ReadingsIntake } from '../../../lib/acquire/source/http.js';
import { MqttSource } from '../../../lib/acquire/source/mqtt.js';
import { openSources, SOURCE_KINDS, type SourceSetup } from '../../../lib/acquire/source/registry.js';
import { canPublish } from '../../../lib/acquire/source/source.js';
import { parseIni } from '../../../lib/config/ini-file.js';
import { readMainSettings } from '../../../lib/config/main-settings.js';
import { readRealmApps } from '../../../lib/config/realm-apps.js';
import type { RealmApp } from '../../../lib/config/settings.js';
import { silentLog } from '../../../lib/core/log.js';

function realmApp(extra: string): RealmApp {
  const main = readMainSettings(parseIni('', '/etc/daqd/daqd.ini').ini, {}).settings;
  const text = `[lab]\ntype = application\nrealm = lab\napplication = basic\n${extra}`;
  const { apps, problems } = readRealmApps([parseIni(text, '/apps/lab.ini').ini], main);
  expect(problems.map((p) => p.format())).to.deep.equal([]);
  return apps[0] as RealmApp;
}

/** The embedded broker's side of its taps, recording what the sources ask of it. */
class RecordingBroker {
  readonly closed: string[] = [];
  openTap(): void {}
  async pauseTap(): Promise<void> {}
  tapOpen(): boolean {
    return false;
  }
  closeTap(key: string): void {
    this.closed.push(key);
  }
  async publish(): Promise<void> {}
}

const intake: ReadingsIntake = {
  checkReadings: () => {},
  ingest: async (_topology, _kind, readings) => readings.length,
};

function setup(app: RealmApp, broker: RecordingBroker | undefined, port = app.mqtt.port): SourceSetup {
  return {
    app,
    mainBroker: { host: app.mqtt.host, port },
    broker,
    log: silentLog(),
    onMessage: async () => {},
    intake,
    poll: {
      pointsOf: () => ({ database: 'unused', points: [] }),
      store: async () => {},
      report: () => {},
    },
    dataDir: '/nonexistent',
  };
}

describe('source registry', () => {
  it('names every kind of source once: the embedded broker, MQTT, HTTP, polling', () => {
    expect(SOURCE_KINDS.map((kind) => kind.name)).to.deep.equal(['embedded-broker', 'mqtt', 'http', 'poll']);
  });

  it('gives a realm on the embedded broker its tap, and HTTP ingest when the app takes it', () => {
    const broker = new RecordingBroker();
    const sources = openSources(setup(realmApp('http_api = true\n'), broker));
    expect(sources.map((s) => s.constructor)).to.deep.equal([EmbeddedBrokerSource, HttpSource]);
    expect(sources.map((s) => canPublish(s))).to.deep.equal([true, false]);
    expect(broker.closed).to.deep.equal([]);
  });

  it('gives a realm on another broker a connection to it, and lets go of its tap in the embedded broker', () => {
    const broker = new RecordingBroker();
    const app = realmApp('');
    const sources = openSources(setup(app, broker, app.mqtt.port + 1));
    expect(sources.map((s) => s.constructor)).to.deep.equal([MqttSource]);
    expect(canPublish(sources[0]!)).to.equal(true);
    expect(broker.closed).to.deep.equal(['lab']);
  });

  it('gives a realm without an embedded broker a connection to its broker', () => {
    const sources = openSources(setup(realmApp('http_api = true\n'), undefined));
    expect(sources.map((s) => s.constructor)).to.deep.equal([MqttSource, HttpSource]);
    expect(sources.map((s) => s.origin)).to.deep.equal([sources[0]!.origin, 'http']);
  });
});
