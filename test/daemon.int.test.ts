import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { SqliteSink } from '../lib/acquire/sink/sqlite.js';
import { silentLog } from '../lib/core/log.js';
import { DaemonProcess, freePort } from './support/daqd.js';
import { eventually } from './support/eventually.js';
import { type MosquittoProcess, startMosquitto } from './support/mosquitto.js';

/** Rows of a measurement in the daemon's SQLite store, read through the sink like any export. */
async function rows(
  dataDir: string,
  database: string,
  measurement: string,
): Promise<Record<string, unknown>[]> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    const result = await sink.query({ database, measurement, from: 0n, to: 2n ** 62n });
    const out: Record<string, unknown>[] = [];
    for await (const [time, ...cells] of result.rows) {
      out.push({ time, ...Object.fromEntries(result.columns.map((c, i) => [c, cells[i]])) });
    }
    return out;
  } finally {
    await sink.stop();
  }
}

function app(realm: string, extra = ''): string {
  return `[${realm}]\ntype = application\nrealm = ${realm}\nmqtt_topics = ${realm}/#\napplication = mqttkit\n${extra}`;
}

describe('daemon lifecycle (real mosquitto, embedded store)', function () {
  this.timeout(60_000);
  let broker: MosquittoProcess;
  let dir: string;
  let config: string;
  let dataDir: string;
  let httpPort: number;
  let daemon: DaemonProcess | undefined;
  let publisher: mqtt.MqttClient;

  before(async () => {
    broker = await startMosquitto();
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'daemon-test-publisher' });
  });
  after(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-daemon-'));
    await mkdir(path.join(dir, 'apps-available'));
    await mkdir(path.join(dir, 'apps-enabled'));
    dataDir = path.join(dir, 'var');
    httpPort = await freePort();
    config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\nshutdown_timeout = 5\n` +
        `[http]\nport = ${httpPort}\n[mqtt]\nport = ${broker.port}\nclient_id = daqd-test-${path.basename(dir)}\n` +
        `[storage]\nbackend = sqlite\n`,
    );
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function enable(realm: string, extra = ''): Promise<void> {
    await writeFile(path.join(dir, 'apps-available', `${realm}.ini`), app(realm, extra));
    await symlink(`../apps-available/${realm}.ini`, path.join(dir, 'apps-enabled', `${realm}.ini`));
  }

  async function start(): Promise<DaemonProcess> {
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: /);
    return daemon;
  }

  async function health(): Promise<{ realms: { realm: string; connected: boolean }[] }> {
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
    return (await response.json()) as never;
  }

  async function publish(topic: string, payload: object): Promise<void> {
    await publisher.publishAsync(topic, JSON.stringify(payload), { qos: 1 });
  }

  async function stored(realm: string, value: number): Promise<Record<string, unknown>[]> {
    return eventually(`reading ${value} of '${realm}' stored`, async () => {
      const found = (await rows(dataDir, `${realm}_net`, 'gw_node_sensors')) as unknown as Record<
        string,
        unknown
      >[];
      return found.some((r) => r['value'] === value) ? found : undefined;
    });
  }

  it('stores a reading, then follows apps added, changed, made invalid and removed while running', async () => {
    await enable('alpha');
    const d = await start();
    await publish('alpha/net/gw/node/data.json', { value: 1 });
    await stored('alpha', 1);

    // Added: a new symlink runs its realm within 2 s.
    const mark = d.output.length;
    await enable('beta');
    await d.waitFor(/realm 'beta': channel started/, 2000, mark);
    await eventually('beta connected', async () =>
      (await health()).realms.find((r) => r.realm === 'beta')?.connected ? true : undefined,
    );
    await publish('beta/net/gw/node/data.json', { value: 2 });
    await stored('beta', 2);

    // Changed: only alpha restarts; its new tag list takes effect.
    const changeMark = d.output.length;
    await writeFile(path.join(dir, 'apps-available', 'alpha.ini'), app('alpha', 'tags = site\n'));
    await d.waitFor(/realm 'alpha': app changed; restarting/, 3000, changeMark);
    await d.waitFor(/realm 'alpha': channel started/, 3000, changeMark);
    expect(d.output.slice(changeMark)).not.to.match(/realm 'beta': (app changed|channel stopped)/);
    await publish('alpha/net/gw/node/data.json', { value: 3, site: 'north' });
    const alphaRows = await stored('alpha', 3);
    expect(alphaRows.find((r) => r['value'] === 3)?.['site']).to.equal('north');

    // Invalid: the problem is logged with file:line and alpha keeps its last good state.
    const badMark = d.output.length;
    const alphaFile = path.join(dir, 'apps-available', 'alpha.ini');
    await writeFile(
      alphaFile,
      app('alpha', 'tags = site\n').replace('application = mqttkit', 'application = kotori.nope:boot'),
    );
    await d.waitFor(/its app is invalid now; the last good configuration keeps running/, 3000, badMark);
    expect(d.output.slice(badMark)).to.contain(
      `${path.join(dir, 'apps-enabled', 'alpha.ini')}:5: alpha.application: unknown entry point`,
    );
    await publish('alpha/net/gw/node/data.json', { value: 4, site: 'south' });
    expect((await stored('alpha', 4)).find((r) => r['value'] === 4)?.['site']).to.equal('south');

    // Removed: the symlink goes, the channel stops, its readings are no longer taken.
    const removeMark = d.output.length;
    await unlink(path.join(dir, 'apps-enabled', 'beta.ini'));
    await d.waitFor(/realm 'beta': channel stopped/, 2000, removeMark);
    expect((await health()).realms.map((r) => r.realm)).to.deep.equal(['alpha']);
  });

  it('re-reads the apps on SIGHUP', async () => {
    const d = await start();
    expect((await health()).realms).to.deep.equal([]);
    // The main file itself is not watched: only SIGHUP can bring this app in.
    await writeFile(config, `${await readFile(config, 'utf8')}\n${app('gamma')}`);
    d.signal('SIGHUP');
    await d.waitFor(/realm 'gamma': channel started/);
    await eventually('gamma connected', async () =>
      (await health()).realms[0]?.connected ? true : undefined,
    );
    await publish('gamma/net/gw/node/data.json', { value: 5 });
    await stored('gamma', 5);
  });

  it('on SIGTERM stores every reading it took and exits 0', async () => {
    await enable('delta');
    const d = await start();
    await eventually('delta connected', async () =>
      (await health()).realms[0]?.connected ? true : undefined,
    );
    const count = 2000;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        publisher.publishAsync('delta/net/gw/node/data.json', JSON.stringify({ value: i, n: i }), { qos: 1 }),
      ),
    );
    d.signal('SIGTERM');
    expect(await d.exit()).to.equal(0);
    expect(d.output)
      .to.match(/SIGTERM: stopping/)
      .and.to.match(/stopped/);
    // What was not acknowledged before the stop stays with the broker's persistent session: a new
    // daqd with the same client id gets it. Together, every reading is stored exactly once.
    await start();
    const all = await eventually(
      'all stored',
      async () => {
        const found = await rows(dataDir, 'delta_net', 'gw_node_sensors');
        return found.length >= count ? found : undefined;
      },
      15_000,
    );
    expect(all.length).to.equal(count);
  });

  it('loses no reading while a realm restarts for a changed app', async () => {
    await enable('zeta');
    const d = await start();
    await eventually('zeta connected', async () =>
      (await health()).realms[0]?.connected ? true : undefined,
    );
    const total = 600;
    const sending = (async () => {
      for (let i = 0; i < total; i++) {
        await publisher.publishAsync('zeta/net/gw/node/data.json', JSON.stringify({ value: i }), { qos: 1 });
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    const mark = d.output.length;
    await writeFile(path.join(dir, 'apps-available', 'zeta.ini'), app('zeta', 'tags = site\n'));
    await d.waitFor(/realm 'zeta': app changed; restarting/, 3000, mark);
    await sending;
    const all = await eventually(
      'every reading stored',
      async () => {
        const found = await rows(dataDir, 'zeta_net', 'gw_node_sensors');
        return found.length >= total ? found : undefined;
      },
      15_000,
    );
    expect(all.length).to.equal(total);
    expect(new Set(all.map((r) => r['value'])).size).to.equal(total);
  });

  // Without a spool (spool_max_mb = 0), readings wait in memory for the store.
  it('with the store down and no spool: logs it once, keeps running, and a second SIGTERM exits at once', async () => {
    const deadPort = await freePort();
    const text = await readFile(config, 'utf8');
    await writeFile(
      config,
      text
        .replace('shutdown_timeout = 5', 'shutdown_timeout = 60')
        .replace(
          'backend = sqlite',
          `backend = influxdb\nspool_max_mb = 0\n[influxdb]\nport = ${deadPort}\n`,
        ),
    );
    await enable('eta');
    const d = await start();
    expect(d.output).to.match(/influxdb '[^']+' does not answer \/ping/);
    await eventually('eta connected', async () => ((await health()).realms[0]?.connected ? true : undefined));
    await publisher.publishAsync('eta/net/gw/node/data.json', JSON.stringify({ value: 1 }), { qos: 1 });
    await d.waitFor(/storage 'influxdb' failed: .*retrying/);
    const report = await health();
    expect(report).to.deep.include({ ok: false });
    d.signal('SIGTERM');
    await d.waitFor(/SIGTERM: stopping/);
    const started = Date.now();
    d.signal('SIGTERM');
    expect(await d.exit()).to.equal(130);
    expect(Date.now() - started).to.be.below(3000);
    expect(d.output).to.match(/SIGTERM again: exiting now/);
  });

  it('with no spool, exits 0 within shutdown_timeout when the store cannot take what is queued', async () => {
    const deadPort = await freePort();
    const text = await readFile(config, 'utf8');
    await writeFile(
      config,
      text
        .replace('shutdown_timeout = 5', 'shutdown_timeout = 2')
        .replace(
          'backend = sqlite',
          `backend = influxdb\nspool_max_mb = 0\n[influxdb]\nport = ${deadPort}\n`,
        ),
    );
    await enable('theta');
    const d = await start();
    await eventually('theta connected', async () =>
      (await health()).realms[0]?.connected ? true : undefined,
    );
    await publisher.publishAsync('theta/net/gw/node/data.json', JSON.stringify({ value: 1 }), { qos: 1 });
    await d.waitFor(/storage 'influxdb' failed/);
    const started = Date.now();
    d.signal('SIGTERM');
    expect(await d.exit()).to.equal(0);
    expect(Date.now() - started).to.be.within(1000, 4000);
  });

  it('with the store down, acknowledges readings once spooled and exits 0 at once, the spool left on disk', async () => {
    const deadPort = await freePort();
    const text = await readFile(config, 'utf8');
    await writeFile(
      config,
      text
        .replace('shutdown_timeout = 5', 'shutdown_timeout = 30')
        .replace('backend = sqlite', `backend = influxdb\n[influxdb]\nport = ${deadPort}\n`),
    );
    await enable('iota');
    const d = await start();
    await eventually('iota connected', async () =>
      (await health()).realms[0]?.connected ? true : undefined,
    );
    // The store is down: the reading goes to the spool. (The publisher's PUBACK is mosquitto's; daqd's
    // own acknowledgement to the broker follows the spool write, so /health is asked until it shows it.)
    await publisher.publishAsync('iota/net/gw/node/data.json', JSON.stringify({ value: 1 }), { qos: 1 });
    await d.waitFor(/storage 'influxdb' failed: .*keeping readings in the spool/);
    const spooledBytes = await eventually('the reading in the spool', async () => {
      const report = (await health()) as unknown as { storage: { spooled_bytes: number; queued: number } };
      return report.storage.spooled_bytes > 0 && report.storage.queued === 0
        ? report.storage.spooled_bytes
        : undefined;
    });
    expect(spooledBytes).to.be.greaterThan(0);
    const started = Date.now();
    d.signal('SIGTERM');
    expect(await d.exit()).to.equal(0);
    expect(Date.now() - started).to.be.below(3000);
    const spooled = await readdir(path.join(dataDir, 'spool', 'iota_net'));
    expect(spooled.filter((name) => name.endsWith('.json'))).to.have.length(1);
  });

  it('exits 1 with one clear line when the HTTP port is in use', async () => {
    const blocker: Server = createServer();
    blocker.listen(httpPort, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const d = new DaemonProcess(config);
      expect(await d.exit()).to.equal(1);
      const errors = d.output.split('\n').filter((l) => / (error|crit) /.test(l));
      expect(errors).to.have.length(1);
      expect(errors[0]).to.contain(`cannot listen on 127.0.0.1:${httpPort}: address already in use`);
      expect(d.output).not.to.match(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('keeps running when the broker cannot be reached at start, and connects once it is there', async () => {
    const port = await freePort();
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace(`port = ${broker.port}`, `port = ${port}`),
    );
    await enable('eps');
    const d = await start();
    await d.waitFor(/cannot reach broker/);
    expect((await health()).realms).to.deep.equal([
      { realm: 'eps', connected: false, received: 0, stored: 0, failed: 0 },
    ]);
    const late = await startMosquitto({ port });
    try {
      await eventually(
        'eps connected',
        async () => ((await health()).realms[0]?.connected ? true : undefined),
        20_000,
      );
    } finally {
      await d.stop();
      await late.stop();
    }
  });
});
