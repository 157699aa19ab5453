import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startChromium } from '../test/support/chromium.js';
import { REALM, ROOT } from './daqd.js';
import { ProcessMeter } from './proc.js';
import { type Figure, FigureSet } from './result.js';
import { download } from './scenarios/export.js';
import { startWebBenchStore, WEB_ADDRESS, WEB_STORES, type WebStore } from './web-view-stores.js';

/** Readings of the node, spread evenly over the 30 days before now. */
const POINTS = Number(process.env['BENCH_WEB_POINTS'] ?? 1_000_000);
/** Rounds per store; every figure is the median of the rounds. */
const ROUNDS = Number(process.env['BENCH_WEB_ROUNDS'] ?? 3);

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** What one page load showed, read from the page's Performance API and its `data-*` attributes. */
interface PageLoad {
  /** Navigation start → the chart's first draw (`daqd:drawn`), ms. */
  openToDrawn: number;
  /** The data request's start (its resource timing) → drawn, ms. */
  dataToDrawn: number;
  /** Navigation start → the data request's start, ms. */
  openToData: number;
  /** The data request alone (request start → last byte), ms. */
  dataRequest: number;
  /** Bytes of the data answer as sent (`encodedBodySize`). */
  dataBytes: number;
  /** Bytes the page load moved: the page, its assets and requests (`transferSize`, headers included). */
  pageBytes: number;
  points: number;
}

/** Opens the node's 30-day view and waits for the chart; figures from inside the page. */
async function openView(page: Page, url: string): Promise<PageLoad> {
  await page.goto(url);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 120_000 });
  await page.waitForFunction(() => performance.getEntriesByName('daqd:drawn').length > 0);
  const timing = await page.evaluate(() => {
    const drawn = performance.getEntriesByName('daqd:drawn')[0]!.startTime;
    // Resource and navigation entries (PerformanceResourceTiming in the page).
    const entries = performance
      .getEntries()
      .filter((e) => ['resource', 'navigation'].includes(e.entryType)) as unknown as {
      name: string;
      startTime: number;
      responseEnd: number;
      encodedBodySize: number;
      transferSize: number;
    }[];
    const data = entries.find((e) => e.name.includes('/data.json?'));
    let bytes = 0;
    for (const e of entries) bytes += e.transferSize;
    return {
      drawn,
      dataStart: data?.startTime ?? Number.NaN,
      dataEnd: data?.responseEnd ?? Number.NaN,
      dataBytes: data?.encodedBodySize ?? Number.NaN,
      bytes,
    };
  });
  return {
    openToDrawn: timing.drawn,
    dataToDrawn: timing.drawn - timing.dataStart,
    openToData: timing.dataStart,
    dataRequest: timing.dataEnd - timing.dataStart,
    dataBytes: timing.dataBytes,
    pageBytes: timing.bytes,
    points: Number(await page.getAttribute('body', 'data-points')),
  };
}

function addLoad(figures: FigureSet, label: string, load: PageLoad): void {
  figures.add(`${label}: page open → chart drawn`, 'ms', load.openToDrawn);
  figures.add(`${label}: page open → data request`, 'ms', load.openToData);
  figures.add(`${label}: data request → chart drawn`, 'ms', load.dataToDrawn);
  figures.add(`${label}: data request (in the page)`, 'ms', load.dataRequest);
  figures.add(`${label}: bytes transferred (page, assets, requests)`, 'bytes', load.pageBytes);
}

/** One store: daqd on it, then per round a fresh browser (cold), the same page again (warm), the export alone. */
async function measureStore(store: WebStore, now: number): Promise<Figure[]> {
  const figures = new FigureSet();
  const bench = await startWebBenchStore(store, POINTS, now, log);
  try {
    const base = `http://127.0.0.1:${bench.daqd.httpPort}`;
    const query = new URLSearchParams({ realm: REALM, address: WEB_ADDRESS, from: 'now-30d', to: 'now' });
    for (let round = 1; round <= ROUNDS; round++) {
      const browser = await startChromium();
      let dataUrl = '';
      const loads: Partial<Record<'cold' | 'warm', PageLoad>> = {};
      try {
        const page = await browser.context.newPage();
        page.on('request', (request) => {
          if (request.url().includes('/data.json?')) dataUrl = request.url();
        });
        for (const label of ['cold', 'warm'] as const) {
          // The servers' CPU time for the whole page load: what other load on the machine does not change.
          const daqdMeter = new ProcessMeter(bench.daqd.pid);
          const databaseMeter = bench.database && new ProcessMeter(bench.database.pid);
          loads[label] = await openView(page, `${base}/node?${query}`);
          addLoad(figures, label, loads[label]);
          figures.add(`${label}: daqd CPU for the page load`, 'ms', daqdMeter.cpu());
          if (databaseMeter !== undefined)
            figures.add(`${label}: ${bench.database!.name} CPU for the page load`, 'ms', databaseMeter.cpu());
        }
        const { cold, warm } = loads as Record<'cold' | 'warm', PageLoad>;
        figures.add('points per field', 'points', warm.points);
        figures.add('data answer size', 'bytes', warm.dataBytes);
        log(
          `  ${store} round ${round}: open → drawn ${cold.openToDrawn.toFixed(0)} ms cold, ` +
            `${warm.openToDrawn.toFixed(0)} ms warm (data request at ${warm.openToData.toFixed(0)} ms, ` +
            `→ drawn ${warm.dataToDrawn.toFixed(0)} ms); ${warm.points} points per field, ` +
            `${(warm.dataBytes / 1024).toFixed(0)} KiB data, ${(cold.pageBytes / 1024).toFixed(0)} KiB cold page`,
        );
      } finally {
        await browser.stop();
      }
      // The chart's export request on its own, with daqd's CPU time for it (other load on the machine
      // stretches the wall clock, not daqd's CPU time).
      const meter = new ProcessMeter(bench.daqd.pid);
      const databaseMeter = bench.database && new ProcessMeter(bench.database.pid);
      const answer = await download(dataUrl);
      const cpu = meter.cpu();
      const databaseCpu = databaseMeter?.cpu();
      if (answer.status !== 200) throw new Error(`${store}: export request answered HTTP ${answer.status}`);
      figures.add('export request alone', 'ms', answer.seconds * 1000);
      figures.add('export request alone: daqd CPU', 'ms', cpu);
      if (databaseCpu !== undefined)
        figures.add(`export request alone: ${bench.database!.name} CPU`, 'ms', databaseCpu);
      log(
        `  ${store} round ${round}: export request alone ${(answer.seconds * 1000).toFixed(0)} ms, ` +
          `daqd CPU ${cpu.toFixed(0)} ms` +
          (databaseCpu === undefined ? '' : `, ${bench.database!.name} CPU ${databaseCpu.toFixed(0)} ms`) +
          `, ${answer.bytes} bytes (${new URL(dataUrl).search})`,
      );
    }
  } finally {
    await bench.stop();
  }
  return figures.list();
}

/**
 * `npm run bench:web`: a node with 1,000,000 readings (`BENCH_WEB_POINTS`) over 30 days, in SQLite and
 * in InfluxDB (`BENCH_WEB_STORES=sqlite` for one); daqd from dist/ serves its node page to headless
 * chromium. Per store and round: the 30-day view opened in a fresh browser (cold) and again (warm),
 * timed inside the page (Performance API: navigation start, the data request's resource timing, the
 * chart's `daqd:drawn` mark); then the chart's export request alone with daqd's CPU time. Writes the
 * medians and every round to bench/results.web.json. A measurement, not a test: nothing fails on a
 * slow machine.
 */
async function main(): Promise<void> {
  const stores = (process.env['BENCH_WEB_STORES'] ?? WEB_STORES.join(','))
    .split(',')
    .filter((s) => s !== '') as WebStore[];
  for (const store of stores) {
    if (!WEB_STORES.includes(store)) throw new Error(`BENCH_WEB_STORES: no store '${store}'`);
  }
  const started = performance.now();
  const load = os.loadavg()[0]!;
  log(
    `bench:web: ${POINTS.toLocaleString('en')} readings, ${ROUNDS} rounds, load average ${load.toFixed(1)}`,
  );
  const results: Record<string, Figure[]> = {};
  for (const store of stores) results[store] = await measureStore(store, Date.now());
  for (const [store, figures] of Object.entries(results)) {
    log(`\n${store}:`);
    for (const f of figures) {
      log(
        `  ${f.name}: ${f.median.toFixed(0)} ${f.unit} (rounds ${f.runs.map((v) => v.toFixed(0)).join(', ')})`,
      );
    }
  }
  const report = {
    generated: new Date().toISOString(),
    readings: POINTS,
    range: '30 days (from=now-30d&to=now)',
    rounds: ROUNDS,
    duration_s: Math.round((performance.now() - started) / 1000),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? 'unknown',
      load_average_at_start: Number(load.toFixed(2)),
      node: process.version,
    },
    stores: results,
  };
  const file = process.env['BENCH_WEB_OUT'] ?? path.join(ROOT, 'bench', 'results.web.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:web failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
