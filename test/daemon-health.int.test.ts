import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DaemonProcess, freePort } from './support/daqd.js';
import { type InfluxdProcess, startInfluxd } from './support/influxd.js';

interface Health {
  ok: boolean;
  storage: { ok: boolean; check?: string; problem?: string };
}

/**
 * Issue 11 item 10, through a real daqd process against a hung influxd (SIGSTOP): /health answers within
 * a second and says the store's check is slow, and the 503s answered while daqd is starting are
 * summarised in the log, not written one line each.
 */
describe('daemon /health and start-up log with a hung InfluxDB (real influxd stopped with SIGSTOP, daqd process)', function () {
  this.timeout(90_000);
  let influx: InfluxdProcess;
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let paused = false;
  let httpPort: number;

  before(async () => {
    influx = await startInfluxd();
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-health-'));
    await mkdir(path.join(dir, 'apps'));
    httpPort = await freePort();
  });

  after(async () => {
    if (paused) process.kill(influx.pid, 'SIGCONT');
    await daemon?.stop();
    await influx?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** One GET /health: its answer and how long it took. */
  async function health(): Promise<{ status: number; report: Health; ms: number }> {
    const started = performance.now();
    // Bounded here too, so a hanging /health fails the test instead of holding it.
    const response = await fetch(`http://127.0.0.1:${httpPort}/health`, {
      signal: AbortSignal.timeout(8000),
    });
    const report = (await response.json()) as Health;
    return { status: response.status, report, ms: performance.now() - started };
  }

  it('answers /health within 1 s with the check reported slow, and summarises the start-up 503s', async () => {
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = ${path.join(dir, 'apps')}/*.ini\n[daqd]\ndata_dir = ${path.join(dir, 'var')}\n` +
        `metrics_logger_interval = 0\n[http]\nport = ${httpPort}\n` +
        // daqd waits for the store's first answer at start for `timeout` ms: long enough for the requests.
        `[influxdb]\nurl = ${influx.url}\ntimeout = 5000\n`,
    );
    process.kill(influx.pid, 'SIGSTOP');
    paused = true;
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/http: listening/);

    // While daqd waits for the store at start, every API request is answered 503.
    const requests = 40;
    const statuses = await Promise.all(
      Array.from({ length: requests }, () =>
        fetch(`http://127.0.0.1:${httpPort}/api/nowhere/net/gw/node/data`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"value": 1}',
        }).then((r) => r.status),
      ),
    );
    expect(statuses).to.deep.equal(Array(requests).fill(503));
    await daemon.waitFor(/ready: /, 20_000);

    // The store still hangs: /health must not wait for it.
    for (let i = 0; i < 2; i++) {
      const { status, report, ms } = await health();
      expect(ms, `answered after ${Math.round(ms)} ms`).to.be.lessThan(1000);
      expect(status).to.equal(503);
      expect(report.ok).to.equal(false);
      expect(report.storage.ok).to.equal(false);
      expect(report.storage.check).to.equal('slow');
    }

    // The first start-up 503 is logged; the others are counted, not written one line each.
    const lines = daemon.output.split('\n');
    expect(lines.filter((l) => l.includes('daqd is starting'))).to.have.length(1);
    await daemon.waitFor(new RegExp(`503 answers to other requests: ${requests - 1} more`), 15_000);

    // Once the store answers again, so does the check.
    process.kill(influx.pid, 'SIGCONT');
    paused = false;
    const deadline = Date.now() + 15_000;
    let last: Health | undefined;
    while (Date.now() < deadline) {
      last = (await health()).report;
      if (last.storage.ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(last?.storage.ok).to.equal(true);
    expect(last?.storage.check).to.equal(undefined);
  });
});
