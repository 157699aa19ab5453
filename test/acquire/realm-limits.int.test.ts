import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../lib/core/log.js';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';

const APP =
  '[hiverize]\ntype = application\nrealm = hiverize\napplication = mqttkit\nhttp_api = true\n' +
  'allowed_networks = testdrive, lab-*\nallowed_nodes = node-*\nmax_databases = 2\n' +
  'max_fields_per_measurement = 3\nmax_fields_per_reading = 5\n';

for (const backend of ['sqlite', 'influxdb'] as const) {
  describe(`realm limits through a daqd process (${backend})`, function () {
    this.timeout(90_000);
    let dir: string;
    let influx: InfluxdProcess | undefined;
    let daemon: DaemonProcess;
    let base: string;
    let mqttPort: number;

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-limits-'));
      await mkdir(path.join(dir, 'apps'));
      await writeFile(path.join(dir, 'apps', 'hiverize.ini'), APP);
      const httpPort = await freePort();
      mqttPort = await freePort();
      base = `http://127.0.0.1:${httpPort}`;
      let store = '[storage]\nbackend = sqlite\n';
      if (backend === 'influxdb') {
        influx = await startInfluxd();
        store = `[influxdb]\nurl = ${influx.url}\nflush_interval = 20\n`;
      }
      await writeFile(
        path.join(dir, 'daqd.ini'),
        `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\nshutdown_timeout = 5\n` +
          `[http]\nport = ${httpPort}\n[mqtt]\nembedded = true\nport = ${mqttPort}\n${store}`,
      );
      daemon = new DaemonProcess(path.join(dir, 'daqd.ini'));
      await daemon.waitFor(/ready: 1 realm/, 30_000);
    });

    after(async () => {
      await daemon?.stop();
      await influx?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    async function databases(): Promise<string[]> {
      if (influx !== undefined) {
        const answer = (await influx.query('SHOW DATABASES')) as {
          results: { series?: { values: string[][] }[] }[];
        };
        return (answer.results[0]?.series?.[0]?.values ?? [])
          .map((v) => v[0] ?? '')
          .filter((d) => d !== '_internal')
          .sort();
      }
      const sink = new SqliteSink({ dataDir: path.join(dir, 'var'), log: silentLog() });
      return (await sink.databases()).sort();
    }

    async function post(address: string, reading: Record<string, unknown>) {
      const res = await fetch(`${base}/api/hiverize/${address}/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(reading),
      });
      return { status: res.status, body: (await res.json()) as { message?: string } };
    }

    it('refuses networks and nodes outside the allow-list (403), creating nothing', async () => {
      const network = await post('elsewhere/gw/node-1', { a: 1 });
      expect(network.status).to.equal(403);
      expect(network.body.message).to.match(/network 'elsewhere' is not allowed \(allowed_networks\)/);
      const node = await post('testdrive/gw/intruder', { a: 1 });
      expect(node.status).to.equal(403);
      expect(node.body.message).to.match(/node 'intruder' is not allowed \(allowed_nodes\)/);
      expect(await databases()).to.deep.equal([]);
    });

    it('refuses a reading with more fields than max_fields_per_reading (400), also a huge one at once', async () => {
      const six = await post('testdrive/gw/node-1', { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
      expect(six.status).to.equal(400);
      expect(six.body.message).to.match(/more than 5 \(max_fields_per_reading\)/);
      const huge = Object.fromEntries(Array.from({ length: 200_000 }, (_, i) => [`f${i}`, i]));
      const started = Date.now();
      const answer = await post('testdrive/gw/node-1', huge);
      expect(answer.status).to.equal(400);
      expect(Date.now() - started).to.be.below(2000);
      expect(await databases()).to.deep.equal([]);
    });

    it('enforces max_fields_per_measurement and max_databases, storing nothing of a refused reading', async () => {
      expect((await post('testdrive/gw/node-1', { a: 1, b: 2 })).status).to.equal(200);
      expect((await post('testdrive/gw/node-1', { c: 3 })).status).to.equal(200);
      const fourth = await post('testdrive/gw/node-1', { a: 4, d: 4 });
      expect(fourth.status).to.equal(403);
      expect(fourth.body.message).to.match(/would have 4 fields, more than max_fields_per_measurement \(3\)/);
      // Known fields go on; another measurement has its own three.
      expect((await post('testdrive/gw/node-1', { a: 5, b: 5, c: 5 })).status).to.equal(200);
      expect((await post('testdrive/gw/node-2', { x: 1, y: 1, z: 1 })).status).to.equal(200);

      expect((await post('lab-1/gw/node-1', { a: 1 })).status).to.equal(200);
      const third = await post('lab-2/gw/node-1', { a: 1 });
      expect(third.status).to.equal(403);
      expect(third.body.message).to.match(
        /database 'hiverize_lab_2' would be one more than max_databases \(2\)/,
      );
      expect(await databases()).to.deep.equal(['hiverize_lab_1', 'hiverize_testdrive']);

      const rows = await fetch(`${base}/api/hiverize/testdrive/gw/node-1/data.json?from=now-1h`);
      const stored = (await rows.json()) as Record<string, unknown>[];
      expect(stored.map((row) => row['a'] ?? null)).to.deep.equal([1, null, 5]);
      expect(stored.some((row) => row['d'] !== undefined && row['d'] !== null)).to.equal(false);
    });

    it("answers a refused MQTT reading on error.json, never echoing Ecowitt's PASSKEY; secrets stay out of logs, /health and /metrics", async () => {
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { protocolVersion: 4 });
      try {
        const reports: string[] = [];
        client.on('message', (_topic, payload) => reports.push(payload.toString()));
        await client.subscribeAsync('hiverize/+/gw/+/error.json');
        await client.publishAsync('hiverize/elsewhere/gw/node-1/data.json', '{"a": 1}', { qos: 1 });
        await client.publishAsync(
          'hiverize/testdrive/gw/node-9/data.json',
          '{"PASSKEY": "SECRETKEY123", "tag\\\\": 1}',
          { qos: 1 },
        );
        for (let waited = 0; reports.length < 2 && waited < 10_000; waited += 50) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(reports).to.have.length(2);
        expect(reports.join('\n')).to.match(/network 'elsewhere' is not allowed/);
        expect(reports.join('\n')).to.match(/ends in a backslash/);
        expect(reports.join('\n')).not.to.include('SECRETKEY123');
      } finally {
        await client.endAsync();
      }
      const form = await fetch(`${base}/api/hiverize/testdrive/gw/node-1/data`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'PASSKEY=SECRETKEY123&a=1&b\\=2',
      });
      expect(await form.text()).not.to.include('SECRETKEY123');
      const health = await (await fetch(`${base}/health`)).text();
      const metrics = await (await fetch(`${base}/metrics`)).text();
      for (const text of [health, metrics, daemon.output]) expect(text).not.to.include('SECRETKEY123');
    });
  });
}
