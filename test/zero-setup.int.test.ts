import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { SqliteSink } from '../lib/acquire/sink/sqlite.js';
import { silentLog } from '../lib/core/log.js';
import { DaemonProcess, freePort, ROOT } from './support/daqd.js';
import { eventually } from './support/eventually.js';

/** The `value` field of every row of a measurement in a daemon's SQLite store, read through the sink. */
async function storedValues(dataDir: string, database: string, measurement: string): Promise<number[]> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    const result = await sink.query({ database, measurement, from: 0n, to: 2n ** 62n });
    const column = result.columns.indexOf('value');
    const values: number[] = [];
    for await (const row of result.rows) {
      if (column >= 0) values.push(row[column + 1] as number);
    }
    return values;
  } finally {
    await sink.stop();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('zero-setup mode: restart of daqd with its embedded broker', function () {
  this.timeout(90_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let node: mqtt.MqttClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-zero-setup-'));
  });
  afterEach(async () => {
    await node?.endAsync(true);
    node = undefined;
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('stores every QoS 1 reading a node publishes while daqd stops and starts again', async () => {
    await mkdir(path.join(dir, 'apps-enabled'));
    await symlink(
      path.join(ROOT, 'apps-available', 'hiverize.ini'),
      path.join(dir, 'apps-enabled', 'hiverize.ini'),
    );
    const mqttPort = await freePort();
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `shutdown_timeout = 5\n[http]\nport = ${await freePort()}\n` +
        `[mqtt]\nembedded = true\nport = ${mqttPort}\n[storage]\nbackend = sqlite\n`,
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/);

    // A node with MQTT.js defaults (clean session, reconnecting) publishing QoS 1 every few ms. While
    // the broker is gone it queues; it retries every 20 ms, so it knocks while the new daqd is still
    // starting (the broker holds its CONNACK until the realm takes messages).
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      clientId: 'node-1',
      protocolVersion: 4,
      reconnectPeriod: 20,
    });
    const client = node;
    let next = 0;
    const acknowledged = new Set<number>();
    const failed: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const value = next++;
        client.publish(
          'hiverize/testdrive/area-42/node-1/data.json',
          JSON.stringify({ value }),
          { qos: 1 },
          (err) => {
            if (err) failed.push(`${value}: ${err.message}`);
            else acknowledged.add(value);
          },
        );
        await sleep(5);
      }
    })();

    await sleep(500);
    const first = daemon;
    first.signal('SIGTERM');
    expect(await first.exit()).to.equal(0);
    const down = next;
    await sleep(500);
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/);
    const up = next;
    await sleep(500);
    publishing = false;
    await publisher;
    const published = next;
    // Readings were published in every phase: before the stop, while daqd was down, after the start.
    expect(down).to.be.greaterThan(20);
    expect(up - down).to.be.greaterThan(20);
    expect(published - up).to.be.greaterThan(20);

    await eventually('the node has every reading acknowledged', async () =>
      acknowledged.size + failed.length === published ? true : undefined,
    );
    expect(failed).to.deep.equal([]);
    const dataDir = path.join(dir, 'var');
    const values = await eventually('every reading stored', async () => {
      const found = await storedValues(dataDir, 'hiverize_testdrive', 'area_42_node_1_sensors');
      return new Set(found).size === published ? found : undefined;
    }).catch(async (err: Error) => {
      const found = new Set(await storedValues(dataDir, 'hiverize_testdrive', 'area_42_node_1_sensors'));
      const missing = Array.from({ length: published }, (_, i) => i).filter((v) => !found.has(v));
      throw new Error(`${err.message}: ${missing.length} of ${published} missing: ${missing.join(', ')}`);
    });
    expect([...new Set(values)].sort((a, b) => a - b)).to.deep.equal(
      Array.from({ length: published }, (_, i) => i),
    );
  });

  it("keeps a node's readings in the order sent, and loses none, while its realm restarts for a changed app", async () => {
    await mkdir(path.join(dir, 'apps'));
    const appFile = path.join(dir, 'apps', 'hiverize.ini');
    const appText =
      '[hiverize]\ntype = application\nrealm = hiverize\nmqtt_topics = hiverize/#\napplication = mqttkit\n';
    await writeFile(appFile, appText);
    const mqttPort = await freePort();
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `[http]\nport = ${await freePort()}\n[mqtt]\nembedded = true\nport = ${mqttPort}\n[storage]\nbackend = sqlite\n`,
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/);
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      clientId: 'node-2',
      protocolVersion: 4,
    });
    const client = node;
    const total = 3000;
    // QoS 1 and 0 mixed, sent without waiting: the broker has many of them in hand at once.
    const sending = (async () => {
      for (let value = 0; value < total; value++) {
        client.publish('hiverize/testdrive/area-42/node-2/data.json', JSON.stringify({ value }), {
          qos: value % 4 === 0 ? 0 : 1,
        });
        if (value % 10 === 0) await sleep(5);
      }
    })();
    await sleep(100);
    const mark = daemon.output.length;
    await writeFile(appFile, `${appText}tags = site\n`);
    await daemon.waitFor(/realm 'hiverize': app changed; restarting/, 5000, mark);
    await sending;
    const dataDir = path.join(dir, 'var');
    const values = await eventually('every reading stored', async () => {
      const found = await storedValues(dataDir, 'hiverize_testdrive', 'area_42_node_2_sensors');
      return found.length >= total ? found : undefined;
    });
    expect(daemon.output).to.match(/realm 'hiverize': channel started/);
    // Stored in time order = the order daqd took them in.
    expect(values).to.deep.equal(Array.from({ length: total }, (_, i) => i));
  });
});

/** The environment of a fresh terminal: without npm's script variables and the caller's DAQD_/KOTORI_. */
function terminalEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|DAQD_|KOTORI_|INIT_CWD$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Is any process of group `pgid` still there? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A shell command line in its own process group, with its output collected. */
class ShellCommand {
  output = '';
  private readonly child: ChildProcess;
  /** Every process of the group has closed its output: they have exited or are about to. */
  readonly closed: Promise<void>;

  constructor(line: string, options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn('sh', ['-c', line], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (d: Buffer) => {
      this.output += d.toString();
      if (process.env['DAQD_TEST_VERBOSE']) process.stderr.write(d);
    };
    this.child.stdout?.on('data', collect);
    this.child.stderr?.on('data', collect);
    this.closed = new Promise((resolve) => this.child.once('close', () => resolve()));
  }

  /** Waits until the output matches `pattern`; fails when every process closed its output first. */
  async waitFor(pattern: RegExp, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    let done = false;
    void this.closed.then(() => {
      done = true;
    });
    while (!pattern.test(this.output)) {
      if (done) throw new Error(`'${this.line()}' ended before ${pattern}; output:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output:\n${this.output}`);
      await sleep(100);
    }
  }

  /** SIGTERM to the whole group (as Ctrl-C sends SIGINT to it); waits until every process is gone. */
  async terminate(timeout: number): Promise<void> {
    const pgid = this.child.pid;
    if (pgid === undefined || !groupAlive(pgid)) return;
    process.kill(-pgid, 'SIGTERM');
    const deadline = Date.now() + timeout;
    await this.closed;
    while (groupAlive(pgid)) {
      if (Date.now() > deadline)
        throw new Error(`process group ${pgid} still running ${timeout} ms after SIGTERM`);
      await sleep(50);
    }
  }

  /** Teardown after a failure: SIGKILL to whatever of the group is left. */
  async kill(): Promise<void> {
    const pgid = this.child.pid;
    if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
    await this.closed;
  }

  private line(): string {
    return this.child.spawnargs.slice(2).join(' ');
  }
}

/** Parses the export's CSV (no quoted fields in these readings) into records. */
function csvRecords(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split('\n');
  const columns = (head ?? '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
}

describe('zero-setup mode: a fresh clone, started as the README says', function () {
  // `npm install` compiles better-sqlite3 from source where no prebuilt binary can be fetched: 1.5 to
  // 3 minutes on the development machine, more on a slow one.
  this.timeout(8 * 60_000);
  let dir: string | undefined;
  let started: ShellCommand | undefined;

  afterEach(async () => {
    await started?.kill();
    started = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('npm install && npm start: takes a reading over MQTT and one over HTTP, and exports both', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-clone-'));
    const clone = path.join(dir, 'daqd');
    await promisify(execFile)('git', ['clone', '--quiet', ROOT, clone]);
    const httpPort = await freePort();
    const mqttPort = await freePort();
    started = new ShellCommand('npm install && npm start', {
      cwd: clone,
      env: terminalEnv({ DAQD_HTTP_PORT: String(httpPort), DAQD_MQTT_PORT: String(mqttPort) }),
    });
    await started.waitFor(/ notice \[daqd\] ready: /, 7 * 60_000);
    expect(started.output).to.contain(`embedded broker listening on 127.0.0.1:${mqttPort}`);
    expect(started.output).to.contain(`ready: 1 realm(s), storage 'sqlite', http port ${httpPort}`);

    const node = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    try {
      await node.publishAsync(
        'hiverize/testdrive/area-42/node-1/data.json',
        '{"temperature": 21.5, "weight": 42.1}',
        { qos: 1 },
      );
    } finally {
      await node.endAsync();
    }
    const api = `http://127.0.0.1:${httpPort}/api/hiverize/testdrive/area-42/node-1`;
    const posted = await fetch(`${api}/data`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"temperature": 21.7}',
    });
    expect(posted.ok, `POST answered ${posted.status}: ${await posted.text()}`).to.equal(true);

    // Both readings back, once the write batch is stored.
    const csv = await eventually('both readings in data.csv', async () => {
      const response = await fetch(`${api}/data.csv?from=now-1h`);
      const text = await response.text();
      return response.ok && csvRecords(text).length >= 2 ? text : undefined;
    });
    expect(csv.split('\n')[0]).to.equal('time,temperature,weight');
    // The broker acknowledges the node before daqd has the reading, so the POST may be stored first:
    // compare regardless of order.
    const byTemperature = <T extends { temperature?: unknown }>(a: T, b: T) =>
      String(a.temperature).localeCompare(String(b.temperature));
    expect(
      csvRecords(csv)
        .map(({ temperature, weight }) => ({ temperature, weight }))
        .sort(byTemperature),
    ).to.deep.equal([
      { temperature: '21.5', weight: '42.1' },
      { temperature: '21.7', weight: '' },
    ]);
    const response = await fetch(`${api}/data.json?from=now-1h`);
    expect(response.status).to.equal(200);
    const json = (await response.json()) as Record<string, unknown>[];
    expect(
      json.map(({ temperature, weight }) => ({ temperature, weight })).sort(byTemperature),
    ).to.deep.equal([
      { temperature: 21.5, weight: 42.1 },
      { temperature: 21.7, weight: null },
    ]);
    for (const record of json) expect(record['time']).to.match(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/);

    // Ctrl-C's equivalent: the daemon drains, stops and every process of `npm start` is gone.
    const mark = started.output.length;
    await started.terminate(20_000);
    const stopping = started.output.slice(mark);
    expect(stopping).to.match(/ notice \[daqd\] SIGTERM: stopping/);
    expect(stopping).to.match(/ notice \[daqd\] stopped\n/);
    expect(started.output).not.to.match(/ (error|crit|alert|emerg) \[/);
  });
});
