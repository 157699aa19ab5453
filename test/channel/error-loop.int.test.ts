import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

/**
 * Messages that do not decode, one per form, and where their error report must appear (`undefined`:
 * nowhere, the topic has no base topic). Each must be answered once, and daqd's own report, which
 * comes back under the realm's subscription, must never be answered again (the error.json loop).
 */
const BAD: [form: string, topic: string, payload: string, errorTopic: string | undefined][] = [
  ['too few levels', 'wan/itest/data.json', '{"v": 1}', 'wan/itest/error.json'],
  ['too many levels', 'wan/itest/gw/node-2/extra/level/here', '1', 'wan/itest/gw/node-2/error.json'],
  ['too many levels (basic)', 'lan/node-1/a/b/c', '1', 'lan/node-1/error.json'],
  ['empty level', 'wan/itest//node/data.json', '{"v": 1}', 'wan/itest//node/error.json'],
  ['leading /', '/wan/itest/gw/node/data.json', '{"v": 1}', '/wan/itest/gw/node/error.json'],
  [
    'denied channel network',
    'wan/channel/other-gw-node/data.json',
    '{"v": 1}',
    'wan/channel/other-gw-node/error.json',
  ],
  ['device form without slot', 'wan/device/esp-1', '{"v": 1}', 'wan/device/error.json'],
  ['device form with empty id', 'wan/device//data.json', '{"v": 1}', 'wan/device//error.json'],
  ['unknown slot', 'wan/itest/gw/node-1/data.JSON', '{"v": 1}', 'wan/itest/gw/node-1/error.json'],
  ['bad payload', 'wan/itest/gw/node-3/data.json', '{"v": ', 'wan/itest/gw/node-3/error.json'],
  ['no base topic', 'wan', '{"v": 1}', undefined],
];

interface Seen {
  topic: string;
  body: string;
}

for (const mode of ['mosquitto', 'embedded'] as const) {
  describe(`error.json: one answer, never a loop (${mode} broker)`, function () {
    this.timeout(60_000);
    let broker: MosquittoProcess | undefined;
    let mqttPort: number;
    let httpPort: number;
    let dir: string;
    let daemon: DaemonProcess | undefined;
    let watcher: mqtt.MqttClient | undefined;
    const seen: Seen[] = [];

    before(async () => {
      if (mode === 'mosquitto') {
        broker = await startMosquitto();
        mqttPort = broker.port;
      } else {
        mqttPort = await freePort();
      }
      httpPort = await freePort();
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-error-loop-'));
      await mkdir(path.join(dir, 'apps'));
      await writeFile(
        path.join(dir, 'apps', 'wan.ini'),
        '[wan]\ntype = application\nrealm = wan\nmqtt_topics = wan/#, /wan/#\napplication = mqttkit\n' +
          'direct_channel_allowed_networks = itest\n',
      );
      await writeFile(
        path.join(dir, 'apps', 'lan.ini'),
        '[lan]\ntype = application\nrealm = lan\nmqtt_topics = lan/#\napplication = basic\n',
      );
      const config = path.join(dir, 'daqd.ini');
      await writeFile(
        config,
        `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
          `[http]\nport = ${httpPort}\n` +
          `[mqtt]\nembedded = ${mode === 'embedded'}\nport = ${mqttPort}\nclient_id = daqd-loop-${path.basename(dir)}\n` +
          '[storage]\nbackend = sqlite\n',
      );
      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: 2 realm/, 20_000);
      watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: `loop-watcher-${mode}` });
      watcher.on('message', (topic, payload) => seen.push({ topic, body: payload.toString() }));
      await watcher.subscribeAsync(['#', '/#'], { qos: 0 });
    });

    after(async () => {
      await watcher?.endAsync();
      await daemon?.stop();
      await broker?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function received(): Promise<Record<string, number>> {
      const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
      const health = (await response.json()) as { realms: { realm: string; received: number }[] };
      return Object.fromEntries(health.realms.map((r) => [r.realm, r.received]));
    }

    it('answers each undecodable form once on its error topic, and nothing more for 3 s', async () => {
      for (const [, topic, payload] of BAD) await watcher!.publishAsync(topic, payload, { qos: 1 });
      const expected = BAD.flatMap(([, , , errorTopic]) => (errorTopic === undefined ? [] : [errorTopic]));
      await eventually('every error report', async () =>
        expected.every((t) => seen.some((s) => s.topic === t)) ? true : undefined,
      );
      // daqd's own reports come back under the realm's subscription: let them arrive, then watch.
      await new Promise((r) => setTimeout(r, 500));
      const before = await received();
      const messagesBefore = seen.length;
      await new Promise((r) => setTimeout(r, 3000));
      expect(await received(), 'received counters').to.deep.equal(before);
      expect(seen.slice(messagesBefore), 'messages on the broker').to.deep.equal([]);

      for (const [form, , , errorTopic] of BAD) {
        if (errorTopic === undefined) continue;
        const reports = seen.filter((s) => s.topic === errorTopic);
        expect(reports, form).to.have.length(1);
        expect(JSON.parse(reports[0]!.body), form).to.include.keys(
          'type',
          'message',
          'description',
          'timestamp',
        );
      }
      // Nothing answered on an error topic of an error topic, nor anything for the topic without a base.
      expect(seen.filter((s) => /error\.json.*error\.json/.test(s.topic))).to.deep.equal([]);
      const errorTopics = new Set(seen.filter((s) => s.topic.endsWith('error.json')).map((s) => s.topic));
      expect([...errorTopics].sort()).to.deep.equal([...new Set(expected)].sort());
      // The unknown slot's answer names the slots daqd knows.
      const unknown = seen.find((s) => s.topic === 'wan/itest/gw/node-1/error.json');
      expect(JSON.parse(unknown!.body).message).to.match(
        /'data\.JSON' is not a known slot \(known: data\.json/,
      );
    });

    it('answers a burst of bad messages on one topic at most once a second, and counts the rest', async () => {
      const topic = 'wan/itest/gw/burst/data.json';
      const start = seen.length;
      const began = Date.now();
      await Promise.all(
        Array.from({ length: 50 }, () => watcher!.publishAsync(topic, 'not json', { qos: 1 })),
      );
      await eventually('first report', async () =>
        seen.slice(start).some((s) => s.topic === 'wan/itest/gw/burst/error.json') ? true : undefined,
      );
      await new Promise((r) => setTimeout(r, 300));
      const seconds = (Date.now() - began) / 1000;
      const reports = seen.slice(start).filter((s) => s.topic === 'wan/itest/gw/burst/error.json');
      // One a second at most: the first at once, then one per further (begun) second.
      expect(reports.length)
        .to.be.within(1, 1 + Math.ceil(seconds))
        .and.below(50);
      const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      const heldBack = /daqd_error_reports_total\{realm="wan",outcome="held_back"\} (\d+)/.exec(metrics);
      expect(Number(heldBack?.[1])).to.equal(50 - reports.length);
      // A reading after the burst is still taken.
      await watcher!.publishAsync('wan/itest/gw/burst/data.json', '{"v": 2}', { qos: 1 });
      await eventually('reading after the burst stored', async () => {
        const health = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
          realms: { realm: string; stored: number }[];
        };
        return (health.realms.find((r) => r.realm === 'wan')?.stored ?? 0) >= 1 ? true : undefined;
      });
    });
  });
}
