import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort } from '../../support/daqd.js';
import { eventually } from '../../support/eventually.js';
import { type InfluxdProcess, startInfluxd } from '../../support/influxd.js';
import { type MosquittoProcess, startMosquitto } from '../../support/mosquitto.js';

const run = promisify(execFile);

/** Size of the tmpfs the data_dir lives on: room for daqd's start, then filled up by the test. */
const TMPFS_SIZE = '2m';
const READINGS = 300;

interface Health {
  ok: boolean;
  spool?: { enabled: boolean; ok: boolean; problem?: string; failed_writes?: number };
}

/** Writes zeros into `file` until the file system is full (ENOSPC); other errors are thrown. */
async function fillUp(file: string): Promise<void> {
  const handle = await open(file, 'w');
  try {
    for (const size of [64 * 1024, 4096]) {
      const chunk = Buffer.alloc(size);
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(chunk);
          if (bytesWritten < size) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    await handle.close();
  }
}

/**
 * Issue 11 item 5, through a real daqd process: InfluxDB is down and the spool's disk is full (ENOSPC on
 * a small tmpfs), readings come over real mosquitto with QoS 1. daqd must keep retrying the spool write
 * (not leave the readings unacknowledged for good), say so once, and show the spool failing in /health;
 * once there is room and InfluxDB is back, every reading the broker acknowledged is stored.
 */
describe('acquire/deliver/spool: disk full while the store is down (tmpfs, real mosquitto, real influxd, daqd process)', function () {
  this.timeout(180_000);
  let broker: MosquittoProcess;
  let influx: InfluxdProcess;
  let dir: string;
  let dataDir: string;
  let mounted = false;
  let daemon: DaemonProcess | undefined;
  let publisher: mqtt.MqttClient | undefined;
  let httpPort: number;

  before(async () => {
    [broker, influx] = await Promise.all([startMosquitto(), startInfluxd()]);
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-spool-full-'));
    dataDir = path.join(dir, 'var');
    await mkdir(dataDir);
    // We run as root here; where mounting is not permitted this fails, rather than testing less.
    await run('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', dataDir]);
    mounted = true;
    await mkdir(path.join(dir, 'apps'));
    await writeFile(
      path.join(dir, 'apps', 'full.ini'),
      '[full]\ntype = application\nrealm = full\nmqtt_topics = full/#\napplication = mqttkit\n',
    );
    httpPort = await freePort();
  });

  after(async () => {
    await daemon?.stop();
    await publisher?.endAsync();
    if (mounted) await run('umount', [dataDir]);
    await Promise.all([broker?.stop(), influx?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function health(): Promise<Health> {
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`);
    return (await response.json()) as Health;
  }

  async function storedCount(): Promise<number> {
    const answer = (await influx.query('SELECT count("value") FROM "gw_node_sensors"', 'full_net')) as {
      results: { series?: { values: [string, number][] }[] }[];
    };
    return answer.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  }

  it('retries the spool write, shows it failing in /health, logs it once, and stores every reading once there is room', async () => {
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = ${path.join(dir, 'apps')}/*.ini\n[daqd]\ndata_dir = ${dataDir}\nmetrics_logger_interval = 0\n` +
        `[http]\nport = ${httpPort}\n[mqtt]\nport = ${broker.port}\nclient_id = daqd-spool-full-${process.pid}\n` +
        `[influxdb]\nurl = ${influx.url}\nflush_interval = 50\ntimeout = 2000\n`,
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/, 20_000);
    await daemon.waitFor(/connected to broker/);

    await influx.kill();
    const filler = path.join(dataDir, 'filler');
    await fillUp(filler);

    publisher = await mqtt.connectAsync(broker.url, { clientId: `spool-full-publisher-${process.pid}` });
    const client = publisher;
    // Every publish resolves on the broker's PUBACK: each of these readings is acknowledged.
    await Promise.all(
      Array.from({ length: READINGS }, (_, i) =>
        client.publishAsync('full/net/gw/node/data.json', JSON.stringify({ value: i + 1 }), { qos: 1 }),
      ),
    );

    const failing = await eventually(
      '/health showing the spool failing',
      async () => {
        const report = await health();
        return report.spool?.ok === false ? report : undefined;
      },
      20_000,
    );
    expect(failing.ok).to.equal(false);
    expect(failing.spool?.problem).to.match(/ENOSPC/);
    // Some retries later, still one line about it.
    await eventually('retries', async () => ((await health()).spool?.failed_writes ?? 0) >= 3 || undefined);
    const spoolLines = daemon.output.split('\n').filter((l) => /cannot write a batch/.test(l));
    expect(spoolLines, spoolLines.join('\n')).to.have.length(1);

    await rm(filler);
    await influx.restart();

    await eventually(
      `all ${READINGS} readings stored`,
      async () => ((await storedCount()) === READINGS ? true : undefined),
      60_000,
    );
    await daemon.waitFor(/spool: readings are stored again/);
    const report = await health();
    expect(report.spool?.ok).to.equal(true);
  });
});
