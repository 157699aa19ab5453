import { SqliteSink } from '../lib/acquire/sink/sqlite.js';
import { silentLog } from '../lib/core/log.js';
import type { Point } from '../lib/core/point.js';
import { startChromium } from '../test/support/chromium.js';
import { DaqdProcess, REALM } from './daqd.js';

/** Readings of the node, spread evenly over the 30 days before now. */
const POINTS = Number(process.env['BENCH_WEB_POINTS'] ?? 1_000_000);
const DAY_MS = 86_400_000;
const NETWORK = 'apiary';
const ADDRESS = `${NETWORK}/hive/scale`;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Fills the embedded store as daqd names it: database `bench_apiary`, measurement `hive_scale_sensors`. */
async function fill(dataDir: string, now: number): Promise<void> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  const step = (30 * DAY_MS) / POINTS;
  const from = now - 30 * DAY_MS;
  const started = performance.now();
  try {
    for (let at = 0; at < POINTS; at += 20_000) {
      const batch: Point[] = [];
      for (let i = at; i < Math.min(POINTS, at + 20_000); i++) {
        const t = from + i * step;
        batch.push({
          measurement: 'hive_scale_sensors',
          tags: {},
          fields: { weight: 40 + 5 * Math.sin(t / DAY_MS), temperature: 20 + 8 * Math.cos(t / (DAY_MS / 2)) },
          time: BigInt(Math.round(t)) * 1_000_000n,
        });
      }
      await sink.write(`${REALM}_${NETWORK}`, batch);
    }
  } finally {
    await sink.stop();
  }
  log(`stored ${POINTS} readings over 30 days in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * `npm run bench:web`: a node with 1,000,000 readings (`BENCH_WEB_POINTS`) over 30 days in the embedded
 * store; daqd from dist/ serves its node page to headless chromium. Reports the time from the page's
 * first request to the drawn chart, the time of the chart's export request alone, and the points per
 * field the page got. A measurement, not a test: nothing fails on a slow machine.
 */
async function main(): Promise<void> {
  const now = Date.now();
  const daqd = new DaqdProcess({ mode: 'embedded' });
  const browser = await startChromium();
  try {
    await daqd.start((dataDir) => fill(dataDir, now));
    const base = `http://127.0.0.1:${daqd.httpPort}`;
    const page = await browser.context.newPage();
    const query = new URLSearchParams({ realm: REALM, address: ADDRESS, from: 'now-30d', to: 'now' });
    let dataUrl = '';
    page.on('request', (request) => {
      if (request.url().includes('/data.json?')) dataUrl = request.url();
    });
    for (const round of ['first (cold)', 'second (warm)']) {
      const opened = performance.now();
      await page.goto(`${base}/node?${query}`);
      await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
      const total = performance.now() - opened;
      const points = await page.getAttribute('body', 'data-points');
      const inPage = await page.getAttribute('body', 'data-load-ms');
      log(
        `${round}: 30-day view of ${POINTS} readings drawn in ${total.toFixed(0)} ms ` +
          `(page load to chart; ${inPage} ms from the page's first data request), ${points} points per field`,
      );
    }
    const fetched = performance.now();
    const res = await fetch(dataUrl);
    const body = await res.text();
    const rows = (JSON.parse(body) as unknown[]).length;
    log(
      `export request alone: ${(performance.now() - fetched).toFixed(0)} ms, ${rows} rows, ` +
        `${(body.length / 1024).toFixed(0)} KiB (${new URL(dataUrl).search})`,
    );
  } finally {
    await browser.stop();
    await daqd.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:web failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
