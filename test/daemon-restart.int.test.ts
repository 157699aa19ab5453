import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { SqliteSink } from '../lib/acquire/sink/sqlite.js';
import { silentLog } from '../lib/core/log.js';
import { DaemonProcess, freePort } from './support/daqd.js';
import { eventually } from './support/eventually.js';
import { type InfluxdProcess, startInfluxd } from './support/influxd.js';
import { type MosquittoProcess, startMosquitto } from './support/mosquitto.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function app(realm: string, extra = ''): string {
  return `[${realm}]\ntype = application\nrealm = ${realm}\nmqtt_topics = ${realm}/#\napplication = mqttkit\n${extra}`;
}

/** The `value` field of every row of a measurement in a daemon's SQLite store. */
async function sqliteValues(dataDir: string, database: string, measurement: string): Promise<number[]> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    const result = await sink.query({ database, measurement, from: 0n, to: 2n ** 62n });
    const column = result.columns.indexOf('value');
    const values: number[] = [];
    for await (const row of result.rows) values.push(row[column + 1] as number);
    return values;
  } finally {
    await sink.stop();
  }
}

/** The `value` field of every point of a measurement in influxd. */
async function influxValues(
  influxd: InfluxdProcess,
  database: string,
  measurement: string,
): Promise<number[]> {
  const answer = (await influxd.query(`SELECT "value" FROM "${measurement}"`, database)) as {
    results: { series?: { values: [string, number][] }[] }[];
  };
  return (answer.results[0]?.series?.[0]?.values ?? []).map(([, value]) => value);
}

describe('daemon: realms restarting for a changed app', function () {
  this.timeout(90_000);
  let dir: string;
  let dataDir: string;
  let config: string;
  let httpPort: number;
  let mqttPort: number;
  let daemon: DaemonProcess | undefined;
  let influxd: InfluxdProcess | undefined;
  let node: mqtt.MqttClient | undefined;
  let mosquitto: MosquittoProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-restart-'));
    await mkdir(path.join(dir, 'apps-available'));
    await mkdir(path.join(dir, 'apps-enabled'));
    dataDir = path.join(dir, 'var');
    httpPort = await freePort();
    mqttPort = await freePort();
    config = path.join(dir, 'daqd.ini');
  });
  afterEach(async () => {
    await node?.endAsync(true);
    node = undefined;
    await daemon?.stop();
    daemon = undefined;
    await influxd?.stop();
    influxd = undefined;
    await mosquitto?.stop();
    mosquitto = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** daqd's main file: the embedded broker on `mqttPort`, or (`mqtt`) another broker. */
  async function writeConfig(storage: string, mqtt = `embedded = true\nport = ${mqttPort}\n`): Promise<void> {
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\nshutdown_timeout = 5\n` +
        `[http]\nport = ${httpPort}\n[mqtt]\n${mqtt}${storage}`,
    );
  }

  async function enable(realm: string, extra = ''): Promise<void> {
    await writeFile(path.join(dir, 'apps-available', `${realm}.ini`), app(realm, extra));
    await symlink(`../apps-available/${realm}.ini`, path.join(dir, 'apps-enabled', `${realm}.ini`));
  }

  async function health(): Promise<Record<string, unknown>> {
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
    return (await response.json()) as Record<string, unknown>;
  }

  it('holds QoS 1 messages unacknowledged for as long as a restart takes (store down, no spool), then stores them', async () => {
    influxd = await startInfluxd();
    await writeConfig(
      `[storage]\nbackend = influxdb\nspool_max_mb = 0\n[influxdb]\nport = ${influxd.port}\n`,
    );
    await enable('kappa');
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: /);
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      protocolVersion: 4,
      clientId: 'restart-node',
      clean: false,
      reconnectPeriod: 500,
    });
    const topic = 'kappa/net/gw/node/data.json';
    await node.publishAsync(topic, JSON.stringify({ value: 1 }), { qos: 1 });

    // The store goes away with a reading in the realm's hands; the app changes meanwhile.
    await influxd.kill();
    const inHand = node.publishAsync(topic, JSON.stringify({ value: 2 }), { qos: 1 });
    await daemon.waitFor(/storage 'influxdb' failed/, 10_000);
    const mark = daemon.output.length;
    await writeFile(path.join(dir, 'apps-available', 'kappa.ini'), app('kappa', 'tags = site\n'));
    await daemon.waitFor(/realm 'kappa': app changed; restarting/, 5000, mark);
    // Longer than any fixed hold would last: the realm is still restarting (its old channel drains).
    await sleep(11_000);
    const whileRestarting = node.publishAsync(topic, JSON.stringify({ value: 3 }), { qos: 1 });
    expect(await settlesWithin(whileRestarting, 1500), 'PUBACK while the realm restarts').to.equal(false);
    expect(await settlesWithin(inHand, 0), 'PUBACK with the store down and no spool').to.equal(false);

    // The hold shows in /health and in the log.
    const report = await health();
    expect(report['ok']).to.equal(false);
    const held = (report['broker'] as { held?: { realm: string; messages: number }[] }).held;
    expect(held).to.be.an('array');
    expect(held?.find((h) => h.realm === 'kappa')?.messages).to.be.at.least(1);
    const realms = report['realms'] as { realm: string; restarting?: boolean }[];
    expect(realms.find((r) => r.realm === 'kappa')?.restarting).to.equal(true);
    expect(daemon.output.slice(mark)).to.match(/'kappa'.*holding/);

    await influxd.restart();
    await Promise.all([inHand, whileRestarting]);
    const values = await eventually(
      'every acknowledged reading stored',
      async () => {
        const found = await influxValues(influxd!, 'kappa_net', 'gw_node_sensors');
        return found.length >= 3 ? found : undefined;
      },
      20_000,
    );
    expect(values.sort()).to.deep.equal([1, 2, 3]);
  });

  it('answers no HTTP POST with 404 while its realm restarts, and stores every reading it answered 2xx', async () => {
    // With a broker to reconnect to, a restart takes a few milliseconds: long enough to be caught.
    mosquitto = await startMosquitto();
    await writeConfig(
      '[storage]\nbackend = sqlite\n',
      `port = ${mosquitto.port}\nclient_id = daqd-restart\n`,
    );
    await enable('lambda', 'http_api = true\n');
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: /);
    const url = `http://127.0.0.1:${httpPort}/api/lambda/net/gw/node/data`;
    const answers: { value: number; status: number; retryAfter: string | null }[] = [];
    let next = 0;
    let editing = true;
    const poster = async () => {
      while (editing) {
        const value = next++;
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ value }),
        });
        await response.arrayBuffer();
        answers.push({ value, status: response.status, retryAfter: response.headers.get('retry-after') });
      }
    };
    const posting = Promise.all([poster(), poster(), poster(), poster()]);
    try {
      for (let edit = 1; edit <= 8; edit++) {
        await sleep(150);
        const mark = daemon.output.length;
        await writeFile(
          path.join(dir, 'apps-available', 'lambda.ini'),
          app('lambda', `http_api = true\n${edit % 2 === 1 ? 'tags = site\n' : ''}`),
        );
        await daemon.waitFor(/realm 'lambda': channel started/, 5000, mark);
      }
      await sleep(150);
    } finally {
      editing = false;
      await posting;
    }
    const statuses = new Map<number, number>();
    for (const { status } of answers) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    expect(daemon.output.match(/realm 'lambda': app changed; restarting/g)).to.have.length(8);
    expect(statuses.get(404) ?? 0, `answers by status: ${JSON.stringify([...statuses])}`).to.equal(0);
    for (const { status, retryAfter } of answers) {
      expect([200, 503]).to.include(status);
      if (status === 503) expect(retryAfter).to.be.a('string');
    }
    const accepted = answers.filter((a) => a.status === 200).map((a) => a.value);
    expect(accepted.length).to.be.greaterThan(100);
    const stored = await eventually('every accepted reading stored', async () => {
      const values = await sqliteValues(dataDir, 'lambda_net', 'gw_node_sensors');
      return accepted.every((v) => values.includes(v)) ? values : undefined;
    });
    expect(new Set(stored).size).to.equal(stored.length);
  });
});
