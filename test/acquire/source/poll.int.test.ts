import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { sqliteDatabaseFile } from '../../../lib/acquire/sink/sqlite-database-file.js';
import { DaemonProcess, freePort, ROOT, runCli } from '../../support/daqd.js';
import { type DaqdStack, startDaqdStack } from '../../support/daqd-stack.js';
import { isemsLine, NodeLogServer } from '../../support/node-log-server.js';

/**
 * ISEMS nodes polled over HTTP by a daqd process with the shipped `apps-available/isems.ini` (its
 * poll_url and poll_hosts replaced by the test's nodes): real HTTP servers serve the nodes' logs
 * (good, partly bad, slow, down, growing between rounds); what is stored is read back from a real
 * InfluxDB and from the embedded SQLite store. `daqd poll` runs the rounds after the first.
 */
async function shippedApp(urls: readonly string[]): Promise<string> {
  const text = await readFile(path.join(ROOT, 'apps-available/isems.ini'), 'utf8');
  return text
    .replace(/^poll_url .*$/m, `poll_urls      = ${urls.join(', ')}`)
    .replace(/^poll_hosts .*$/m, 'poll_timeout   = 2\npoll_jitter    = 200ms\npoll_concurrency = 2')
    .replace(/^poll_interval .*$/m, 'poll_interval  = 1h');
}

/** The value of one sample of `/metrics`, or undefined when it is not there. */
async function metric(
  port: number,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      return Number(line.split(' ').pop());
  }
  return undefined;
}

describe('source/poll: ISEMS nodes polled by a daqd process', function () {
  this.timeout(90_000);
  let server: NodeLogServer;
  let downUrl: string;
  let urls: { slow: string; down: string; alpha: string; beta: string };

  before(async () => {
    server = new NodeLogServer();
    await server.start();
    downUrl = `http://127.0.0.1:${await freePort()}/ISEMS/ffopenmppt.log`;
    urls = {
      slow: server.url('/slow.log'),
      down: downUrl,
      alpha: server.url('/alpha.log'),
      beta: server.url('/beta.log'),
    };
  });
  after(() => server.stop());

  /** The nodes' logs as every daqd below first finds them. */
  function serveLogs(): void {
    server.serve('/alpha.log', { body: isemsLine('Alpha', 1530364575) + isemsLine('Alpha', 1530365475) });
    server.serve('/beta.log', {
      body: `${isemsLine('Beta', 1530364575)}Beta;1;1530364600;short\n${isemsLine('Beta', 1530365475)}`,
    });
    server.serve('/slow.log', { body: isemsLine('Slow', 1530364575), delayMs: 30_000 });
  }

  describe('into InfluxDB', () => {
    let stack: DaqdStack;

    before(async () => {
      serveLogs();
      stack = await startDaqdStack({
        name: 'isems-poll',
        apps: { 'isems.ini': await shippedApp([urls.slow, urls.down, urls.alpha, urls.beta]) },
        errorTopics: '/isems/+/error.json',
        readyWhen: [/ready: 1 realm/, /poll round: 4 URL\(s\), 4 reading\(s\) stored, 2 node\(s\) down/],
      });
    });
    after(() => stack?.stop());

    it('stores every good line once across rounds and a restart, counts bad lines, shows nodes down', async () => {
      const times = async (node: string) =>
        (await stack.select(`isems_${node}`, 'sensors')).map((r) => r['time']);
      expect(await times('alpha')).to.deep.equal(['2018-06-30T13:16:15Z', '2018-06-30T13:31:15Z']);
      expect(await times('beta')).to.deep.equal(['2018-06-30T13:16:15Z', '2018-06-30T13:31:15Z']);
      const [row] = await stack.select('isems_alpha', 'sensors');
      expect(row).to.include({ nodeId: 'Alpha', batteryVoltage: 12.5, status: 768, isPowerSaveMode: 0 });
      expect(stack.daemon.output).to.match(
        /poll: 'http:\/\/127\.0\.0\.1:\d+\/slow\.log' is down: no complete answer within 2 s/,
      );
      expect(stack.daemon.output.match(/is down/g)).to.have.length(2);

      const { httpPort } = stack;
      expect(await metric(httpPort, 'daqd_readings_stored_total', { realm: 'isems' })).to.equal(4);
      expect(await metric(httpPort, 'daqd_readings_skipped_total', { realm: 'isems' })).to.equal(1);
      expect(
        await metric(httpPort, 'daqd_poll_requests_total', { url: urls.slow, result: 'timeout' }),
      ).to.equal(1);
      expect(
        await metric(httpPort, 'daqd_poll_requests_total', { url: urls.down, result: 'unreachable' }),
      ).to.equal(1);
      expect(await metric(httpPort, 'daqd_poll_failures_total', { url: urls.down })).to.equal(1);
      expect(await metric(httpPort, 'daqd_poll_up', { url: urls.down })).to.equal(0);
      expect(await metric(httpPort, 'daqd_poll_up', { url: urls.alpha })).to.equal(1);
      const lastSuccess = await metric(httpPort, 'daqd_poll_last_success_timestamp_seconds', {
        url: urls.alpha,
      });
      expect(lastSuccess).to.be.within(Date.now() / 1000 - 120, Date.now() / 1000 + 1);
      expect(await metric(httpPort, 'daqd_poll_last_success_timestamp_seconds', { url: urls.down })).to.equal(
        undefined,
      );

      const health = (await (await fetch(`http://127.0.0.1:${httpPort}/health`)).json()) as {
        realms: {
          realm: string;
          poll?: { urls: number; up: number; down: { url: string; problem: string }[] };
        }[];
      };
      const poll = health.realms.find((r) => r.realm === 'isems')?.poll;
      expect(poll?.urls).to.equal(4);
      expect(poll?.up).to.equal(2);
      expect(poll?.down.map((d) => [d.url, d.problem])).to.have.deep.members([
        [urls.slow, 'no complete answer within 2 s'],
        [urls.down, 'ECONNREFUSED'],
      ]);
      // The bad line is answered on the node's error topic, as for MQTT.
      await stack.rows('isems_alpha', 'sensors', 2);
      expect(stack.errors.map((e) => e.topic)).to.include('/isems/127.0.0.1/error.json');

      // The log grows; `daqd poll` runs a round now and prints what it stored.
      server.append('/alpha.log', isemsLine('Alpha', 1530366375));
      const configFile = path.join(stack.dir, 'daqd.ini');
      const round = await runCli(['poll', 'isems', '--config', configFile]);
      expect(round.stderr).to.equal('');
      expect(round.code).to.equal(0);
      expect(round.stdout.split('\n')).to.deep.equal([
        `${urls.slow}: timeout: no complete answer within 2 s (stored 0, already stored 0, skipped 0)`,
        `${urls.down}: unreachable: ECONNREFUSED (stored 0, already stored 0, skipped 0)`,
        `${urls.alpha}: stored 1, already stored 2, skipped 0`,
        `${urls.beta}: not modified (304), nothing new`,
        "realm 'isems': 4 URL(s), 1 reading(s) stored, 0 skipped, 2 failed",
        '',
      ]);
      expect(await times('alpha')).to.have.length(3);
      expect(await metric(httpPort, 'daqd_readings_stored_total', { realm: 'isems' })).to.equal(5);
      expect(
        await metric(httpPort, 'daqd_poll_requests_total', { url: urls.beta, result: 'not_modified' }),
      ).to.equal(1);
      expect(stack.daemon.output.match(/is down/g)).to.have.length(2);

      // A restart: the marks and validators under data_dir keep what was stored from being sent again.
      server.append('/alpha.log', isemsLine('Alpha', 1530367275));
      await stack.daemon.stop();
      stack.daemon = new DaemonProcess(configFile);
      await stack.daemon.waitFor(/poll round: 4 URL\(s\), 1 reading\(s\) stored, 2 node\(s\) down/, 30_000);
      expect(await metric(httpPort, 'daqd_readings_stored_total', { realm: 'isems' })).to.equal(1);
      expect(
        await metric(httpPort, 'daqd_poll_requests_total', { url: urls.beta, result: 'not_modified' }),
      ).to.equal(1);
      expect(await times('alpha')).to.deep.equal([
        '2018-06-30T13:16:15Z',
        '2018-06-30T13:31:15Z',
        '2018-06-30T13:46:15Z',
        '2018-06-30T14:01:15Z',
      ]);
      expect(await times('beta')).to.have.length(2);
    });

    it('daqd poll: a realm that is not running, or no realm named, is an error', async () => {
      const configFile = path.join(stack.dir, 'daqd.ini');
      const missing = await runCli(['poll', 'nosuch', '--config', configFile]);
      expect(missing.code).to.equal(69);
      expect(missing.stderr).to.equal("daqd poll: 404: no running realm 'nosuch'\n");
      const usage = await runCli(['poll', '--config', configFile]);
      expect(usage.code).to.equal(64);
      expect(usage.stderr).to.equal('daqd poll: expected a realm\n');
    });
  });

  describe('into the embedded SQLite store', () => {
    let dir: string;
    let daemon: DaemonProcess | undefined;

    before(async () => {
      serveLogs();
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-poll-sqlite-'));
    });
    after(async () => {
      await daemon?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    function rows(database: string): number[] {
      const db = new Database(sqliteDatabaseFile(path.join(dir, 'var', 'sqlite'), database), {
        readonly: true,
      });
      try {
        return (db.prepare('SELECT time FROM points ORDER BY time').all() as { time: number | bigint }[]).map(
          (r) => Number(BigInt(r.time) / 1_000_000_000n),
        );
      } finally {
        db.close();
      }
    }

    it('stores every good line once across rounds and a restart; daqd poll exits 1 when every URL failed', async () => {
      await mkdir(path.join(dir, 'apps'));
      await writeFile(
        path.join(dir, 'apps', 'isems.ini'),
        await shippedApp([urls.slow, urls.down, urls.alpha, urls.beta]),
      );
      const port = await freePort();
      const config = path.join(dir, 'daqd.ini');
      await writeFile(
        config,
        `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
          `[http]\nlisten = 127.0.0.1\nport = ${port}\n[mqtt]\nembedded = true\nport = ${await freePort()}\n` +
          '[storage]\nbackend = sqlite\n',
      );
      daemon = new DaemonProcess(config, { cwd: dir });
      await daemon.waitFor(/poll round: 4 URL\(s\), 4 reading\(s\) stored, 2 node\(s\) down/, 30_000);
      expect(rows('isems_alpha')).to.deep.equal([1530364575, 1530365475]);
      expect(rows('isems_beta')).to.deep.equal([1530364575, 1530365475]);

      server.append('/alpha.log', isemsLine('Alpha', 1530366375));
      const round = await runCli(['poll', 'isems', '--config', config], { cwd: dir });
      expect(round.code).to.equal(0);
      expect(round.stdout).to.include(`${urls.alpha}: stored 1, already stored 2, skipped 0\n`);
      expect(rows('isems_alpha')).to.deep.equal([1530364575, 1530365475, 1530366375]);

      await daemon.stop();
      server.append('/alpha.log', isemsLine('Alpha', 1530367275));
      daemon = new DaemonProcess(config, { cwd: dir });
      await daemon.waitFor(/poll round: 4 URL\(s\), 1 reading\(s\) stored, 2 node\(s\) down/, 30_000);
      expect(await metric(port, 'daqd_readings_stored_total', { realm: 'isems' })).to.equal(1);
      expect(rows('isems_alpha')).to.deep.equal([1530364575, 1530365475, 1530366375, 1530367275]);

      // Every node silent: the round stored nothing and says so in its exit code.
      await server.stop();
      const silent = await runCli(['poll', 'isems', '--config', config], { cwd: dir });
      expect(silent.code).to.equal(1);
      expect(silent.stdout).to.include("realm 'isems': 4 URL(s), 0 reading(s) stored, 0 skipped, 4 failed\n");
    });
  });
});
