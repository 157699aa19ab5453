import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort, ROOT } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

const fixtures = path.join(ROOT, 'test/fixtures/kotori');

/**
 * `daqd run` on Kotori's main files as they are, against a real mosquitto (with Kotori's user) and a
 * real influxd: the environment points them at the test services, everything else comes from the files.
 */
describe("cli: daqd run on Kotori's main files (real mosquitto, real influxd)", function () {
  this.timeout(120_000);
  let broker: MosquittoProcess;
  let influx: InfluxdProcess;
  let dir: string;
  let daemon: DaemonProcess | undefined;

  before(async () => {
    [broker, influx] = await Promise.all([startMosquitto({ users: { kotori: 'kotori' } }), startInfluxd()]);
  });
  after(async () => {
    await Promise.all([broker?.stop(), influx?.stop()]);
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-kotori-run-'));
  });
  afterEach(async () => {
    const code = await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
    expect(code ?? 0).to.equal(0);
  });

  async function environment(): Promise<{ env: NodeJS.ProcessEnv; httpPort: number }> {
    const httpPort = await freePort();
    return {
      httpPort,
      env: {
        DAQD_MQTT_PORT: String(broker.port),
        DAQD_MQTT_CLIENT_ID: `daqd-kotori-${path.basename(dir)}`,
        DAQD_INFLUXDB_PORT: String(influx.port),
        DAQD_INFLUXDB_FLUSH_INTERVAL: '50',
        DAQD_HTTP_PORT: String(httpPort),
        DAQD_DAQD_DATA_DIR: path.join(dir, 'var'),
        DAQD_DAQD_METRICS_LOGGER_INTERVAL: '0',
      },
    };
  }

  async function rows(database: string, measurement: string): Promise<unknown[][]> {
    return eventually(`a row in ${database}.${measurement}`, async () => {
      const answer = (await influx.query(`SELECT * FROM "${measurement}"`, database)) as {
        results: { series?: { values: unknown[][] }[] }[];
      };
      return answer.results[0]?.series?.[0]?.values;
    });
  }

  it('runs production.ini with every key: logs what it ignores, stores a reading, serves HTTP on $DAQD_HTTP_PORT', async () => {
    const { env, httpPort } = await environment();
    const main = path.join(fixtures, 'production/kotori.ini');
    daemon = new DaemonProcess(main, { env });
    await daemon.waitFor(/ready: 1 realm\(s\), storage 'influxdb'/, 20_000);
    await daemon.waitFor(/connected to broker[^\n]*mqttkit-1/, 20_000);
    for (const key of ['pool_size', 'use_udp', 'udp_port', 'database', 'version']) {
      expect(daemon.output).to.match(
        new RegExp(`info \\[daqd\\] ${main}:\\d+: influxdb\\.${key}: ignored: used by Kotori`),
      );
    }
    expect(daemon.output).to.match(/warning \[daqd\] include 'conf\.d\/\*\.ini' matches no file/);
    expect(daemon.output).to.not.match(/ error /);

    const publisher = await mqtt.connectAsync(broker.url, { username: 'kotori', password: 'kotori' });
    try {
      await publisher.publishAsync('mqttkit-1/itest/gw-1/node-1/data.json', '{"temperature": 21.5}', {
        qos: 1,
      });
    } finally {
      await publisher.endAsync();
    }
    const stored = await rows('mqttkit_1_itest', 'gw_1_node_1_sensors');
    expect(stored).to.have.length(1);

    // [kotori] http_port = 24642 is in the file; the environment wins.
    const health = await fetch(`http://127.0.0.1:${httpPort}/health`);
    expect(health.status).to.be.oneOf([200, 503]);
    expect(daemon.output).to.contain(`http port ${httpPort}`);
  });

  it("runs development.ini from Kotori's working directory: includes found there, every realm up", async () => {
    const { env } = await environment();
    const cwd = path.join(fixtures, 'development');
    daemon = new DaemonProcess('etc/development.ini', { env, cwd });
    await daemon.waitFor(/ready: 4 realm\(s\)/, 20_000);
    expect(daemon.output).to.contain(
      `include 'etc/examples/*.ini': matched in the working directory (${cwd}/etc/examples/*.ini), as Kotori reads it`,
    );
    expect(daemon.output).to.match(/warning \[daqd\] include 'etc\/conf\.d\/\*\.ini' matches no file/);
    expect(daemon.output).to.not.match(/no realm configured/);
  });

  it('warns in the daemon log when the configuration ends with no realm at all', async () => {
    const { env } = await environment();
    const main = path.join(dir, 'kotori.ini');
    await writeFile(main, '[main]\ninclude = apps-enabled/*.ini\n[influxdb]\nhost = 127.0.0.1\n');
    // Run from the temp dir: from the checkout, Kotori's rule would find the checkout's apps-enabled/.
    daemon = new DaemonProcess(main, { env, cwd: dir });
    await daemon.waitFor(/ready: 0 realm\(s\)/, 20_000);
    expect(daemon.output).to.match(/warning \[daqd\] include 'apps-enabled\/\*\.ini' matches no file/);
    expect(daemon.output).to.match(
      /warning \[daqd\] no realm configured: no enabled app in '[^']*apps-enabled\/\*\.ini'/,
    );
  });
});

/** Kotori's debug flags on the command line and in $KOTORI_OPTS, through a daqd process. */
describe("cli: daqd run with Kotori's debug flags", function () {
  this.timeout(60_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-kotori-debug-'));
    await mkdir(path.join(dir, 'apps-enabled'));
    await writeFile(
      path.join(dir, 'apps-enabled', 'r.ini'),
      '[r]\ntype = application\nrealm = r\napplication = mqttkit\nhttp_api = true\n',
    );
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(options: { args?: string[]; env?: NodeJS.ProcessEnv }): Promise<number> {
    const httpPort = await freePort();
    const main = path.join(dir, 'daqd.ini');
    await writeFile(
      main,
      `[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n[http]\nport = ${httpPort}\n` +
        `[mqtt]\nembedded = true\nport = ${await freePort()}\n[storage]\nbackend = sqlite\n`,
    );
    daemon = new DaemonProcess(main, options);
    await daemon.waitFor(/ready: 1 realm/, 20_000);
    return httpPort;
  }

  /** A 404 (logged at debug by daqd:http), then a stored reading (logged at debug by daqd:sqlite). */
  async function traffic(port: number): Promise<void> {
    expect((await fetch(`http://127.0.0.1:${port}/api/nowhere`)).status).to.equal(404);
    const post = await fetch(`http://127.0.0.1:${port}/api/r/net/gw/node/data`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"temperature": 21.5}',
    });
    expect(post.status).to.equal(200);
  }

  /** The namespaces of the debug lines written so far. */
  function debugNamespaces(): Set<string> {
    return new Set([...(daemon?.output ?? '').matchAll(/ debug \[([^\]]+)\]/g)].map((m) => m[1] ?? ''));
  }

  it('--debug-influx writes debug lines of the store only', async () => {
    const port = await start({ args: ['--debug-influx'] });
    await traffic(port);
    await daemon?.waitFor(/debug \[daqd:sqlite\] database 'r_net': stored 1 points/);
    // The 404 was answered before the reading was stored: its debug line would be there by now.
    expect(
      [...debugNamespaces()].filter((ns) => !['daqd:sqlite', 'daqd:storage', 'daqd:spool'].includes(ns)),
    ).to.deep.equal([]);
  });

  it('--debug-io in $KOTORI_OPTS writes debug lines of the HTTP API only', async () => {
    const port = await start({ env: { KOTORI_OPTS: '--debug-io' } });
    await traffic(port);
    await daemon?.waitFor(/debug \[daqd:http\] http: GET \/api\/nowhere: 404/);
    // The reading is stored (the export shows it), yet the store wrote no debug line.
    await eventually('the stored reading in the export', async () => {
      const answer = await fetch(`http://127.0.0.1:${port}/api/r/net/gw/node/data.json`);
      const body = answer.status === 200 ? await answer.text() : '';
      return body.includes('21.5') ? body : undefined;
    });
    expect([...debugNamespaces()]).to.deep.equal(['daqd:http']);
  });
});
