import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import type { Page } from 'playwright-core';
import { type Chromium, startChromium } from '../support/chromium.js';
import { DaemonProcess, freePort, ROOT } from '../support/daqd.js';

const TOPIC = 'hiverize/testdrive/area-42/node-1';
const HOUR_MS = 3_600_000;

/**
 * Where the screenshots go: `DAQD_SCREENSHOTS` (`npm run screenshots` sets `docs`, for the README), else
 * the test's temp dir (artefacts of the run).
 */
function screenshotDir(tempDir: string): string {
  const dir = process.env['DAQD_SCREENSHOTS'];
  return dir === undefined || dir === '' ? tempDir : path.resolve(ROOT, dir);
}

/**
 * Pixels of the chart's canvas drawn in the first series' colour (#1f5fbf), counted in the page (the
 * script is text: this file is compiled without the browser's types).
 */
async function seriesPixels(page: Page): Promise<number> {
  return (await page.evaluate(`(() => {
    const canvas = document.querySelector('#chart canvas');
    if (canvas === null) return 0;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const r = pixels[i], g = pixels[i + 1], b = pixels[i + 2], a = pixels[i + 3];
      if (a > 200 && Math.abs(r - 31) < 40 && Math.abs(g - 95) < 40 && Math.abs(b - 191) < 40) count++;
    }
    return count;
  })()`)) as number;
}

describe('web view in a real browser (daqd process, embedded broker, SQLite, chromium)', function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let browser: Chromium | undefined;
  let client: mqtt.MqttClient | undefined;
  let base: string;
  let shots: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-web-'));
    shots = screenshotDir(dir);
    await mkdir(shots, { recursive: true });
    await mkdir(path.join(dir, 'apps-enabled'));
    await symlink(
      path.join(ROOT, 'apps-available', 'hiverize.ini'),
      path.join(dir, 'apps-enabled', 'hiverize.ini'),
    );
    const httpPort = await freePort();
    const mqttPort = await freePort();
    const config = path.join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `shutdown_timeout = 5\n[http]\nport = ${httpPort}\n` +
        `[mqtt]\nembedded = true\nport = ${mqttPort}\n[storage]\nbackend = sqlite\n`,
    );
    daemon = new DaemonProcess(config, { cwd: dir });
    await daemon.waitFor(/ready: 1 realm/, 30_000);
    base = `http://127.0.0.1:${httpPort}`;
    browser = await startChromium();
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'web-test-node' });

    // A day of history every 10 minutes (a weight curve), an event, and a reading just now.
    const now = Date.now();
    for (let i = 144; i >= 1; i--) {
      const time = now - i * 10 * 60_000;
      const weight = 40 + 2 * Math.sin(i / 20) + i / 100;
      const temperature = 18 + 4 * Math.cos(i / 15);
      await client.publishAsync(`${TOPIC}/data.json`, JSON.stringify({ time, weight, temperature }), {
        qos: 1,
      });
    }
    await client.publishAsync(
      `${TOPIC}/event.json`,
      JSON.stringify({ time: now - 3 * HOUR_MS, title: 'hive opened', text: 'honey harvest' }),
      { qos: 1 },
    );
    await client.publishAsync(`${TOPIC}/data.json`, JSON.stringify({ weight: 42.5, temperature: 21.25 }), {
      qos: 1,
    });
    // A second node, last heard two hours ago: silent.
    await client.publishAsync(
      'hiverize/testdrive/area-42/node-2/data.json',
      JSON.stringify({ time: now - 2 * HOUR_MS, weight: 12.5 }),
      { qos: 1 },
    );
  });

  after(async () => {
    await client?.endAsync(true);
    await browser?.stop();
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('overview: shows the node published a moment ago with its value, heard just now, not silent', async () => {
    const page = await browser!.context.newPage();
    await page.goto(`${base}/`);
    const row = page.locator('tr', { hasText: 'area_42_node_1' });
    await row.waitFor({ timeout: 10_000 });
    const text = await row.innerText();
    expect(text).to.contain('weight 42.5');
    expect(text).to.contain('temperature 21.25');
    expect(text).to.match(/\d+ s ago/);
    expect(text).to.contain('live');
    expect(await page.locator('h2').first().innerText()).to.equal('Realm hiverize');
    const silent = await page.locator('tr', { hasText: 'area_42_node_2' }).innerText();
    expect(silent).to.contain('weight 12.5').and.to.contain('2 h ago').and.to.contain('⚠ silent');
    await page.screenshot({ path: path.join(shots, 'web-overview.png'), fullPage: true });
    await page.close();
  });

  it('node page: draws the chart, shows events and downloads, and a reading published while open appears within 2 s', async () => {
    const page = await browser!.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/`);
    const dataRequest = page.waitForRequest((r) => r.url().includes('/data.json?'));
    await page.locator('a', { hasText: 'area_42_node_1' }).click();
    const request = new URL((await dataRequest).url());
    // The default view: 24 hours in at most 2,000 buckets of whole seconds (86400 / 2000 → 44 s).
    expect(request.searchParams.get('interval')).to.equal('44s');
    expect(request.searchParams.get('aggregate')).to.equal('mean');
    await page.waitForSelector('body[data-state="ready"]', { timeout: 15_000 });
    expect(await page.locator('h1').innerText()).to.equal('hiverize / testdrive / area_42_node_1');
    const points = Number(await page.getAttribute('body', 'data-points'));
    expect(points).to.be.within(140, 146);
    expect(await seriesPixels(page)).to.be.greaterThan(200);
    expect(await page.locator('#events').innerText())
      .to.contain('E1')
      .and.to.contain('hive opened');
    const downloads = await Promise.all(
      (await page.locator('#downloads a').all()).map(
        async (a) => new URL((await a.getAttribute('href'))!, base).href,
      ),
    );
    expect(downloads.map((href) => new URL(href).pathname.split('.').pop())).to.have.members([
      'csv',
      'txt',
      'tsv',
      'json',
      'ndjson',
      'html',
      'xlsx',
      'lp',
    ]);
    const csv = await fetch(downloads.find((href) => href.includes('data.csv'))!);
    expect(csv.status).to.equal(200);
    expect((await csv.text()).split('\n').filter((line) => /^\d{4}-/.test(line)).length).to.be.within(
      140,
      146,
    );
    expect(await page.locator('#fields input[type="checkbox"]').count()).to.equal(2);
    await page.screenshot({ path: path.join(shots, 'web-node.png'), fullPage: true });

    // Live: wait for the page's event stream, then publish.
    await page.waitForSelector('body[data-live="open"]', { timeout: 5000 });
    await new Promise((r) => setTimeout(r, 300));
    const published = Date.now();
    await client!.publishAsync(`${TOPIC}/data.json`, JSON.stringify({ weight: 77.7, temperature: 19.5 }), {
      qos: 1,
    });
    await page.locator('#latest', { hasText: 'weight 77.7' }).waitFor({ timeout: 2000 });
    expect(Date.now() - published).to.be.below(2000);
    expect(Number(await page.getAttribute('body', 'data-points'))).to.equal(points + 1);
    // A reading older than the newest shown goes where its time puts it; one whose time the chart
    // shows already (sent again with the same time) is not added twice.
    const earlier = new Date(Date.now() - 30 * 60_000).toISOString();
    for (const weight of [55.5, 55.6]) {
      await client!.publishAsync(`${TOPIC}/data.json`, JSON.stringify({ time: earlier, weight }), { qos: 1 });
      await page.locator('#latest', { hasText: `weight ${weight}` }).waitFor({ timeout: 2000 });
    }
    expect(Number(await page.getAttribute('body', 'data-points'))).to.equal(points + 2);
    expect(pageErrors).to.deep.equal([]);
    await page.close();
  });

  it('range presets, the keyboard and the permalink change the request', async () => {
    const page = await browser!.context.newPage();
    const address = 'testdrive/area/42_node_1';

    await page.goto(`${base}/node?realm=hiverize&address=${encodeURIComponent(address)}`);
    await page.waitForSelector('body[data-state="ready"]');
    for (const [preset, from, interval, spanMs] of [
      ['1h', 'now-1h', '2s', HOUR_MS],
      ['7d', 'now-7d', '303s', 7 * 24 * HOUR_MS],
      ['1y', 'now-365d', '15768s', 365 * 24 * HOUR_MS],
    ] as const) {
      const next = page.waitForRequest((r) => r.url().includes('/data.json?'));
      await page.getByRole('button', { name: preset, exact: true }).click();
      const url = new URL((await next).url());
      expect(url.searchParams.get('interval'), preset).to.equal(interval);
      const span = Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!);
      expect(Math.abs(span - spanMs), preset).to.be.below(5000);
      expect(await page.getAttribute(`button[data-from="${from}"]`, 'aria-pressed')).to.equal('true');
      expect(new URL(page.url()).searchParams.get('from')).to.equal(from);
    }
    // The arrow key moves the view a quarter of its span back: from and to become fixed times.
    await page.waitForSelector('body[data-state="ready"]');
    const moved = page.waitForRequest((r) => r.url().includes('/data.json?'));
    await page.focus('#chart');
    await page.keyboard.press('ArrowLeft');
    const movedUrl = new URL((await moved).url());
    const to = Date.parse(movedUrl.searchParams.get('to')!);
    expect(Date.now() - to).to.be.within(0.2 * 365 * 24 * HOUR_MS, 0.3 * 365 * 24 * HOUR_MS);
    // The link reproduces the view.
    await page.waitForSelector('body[data-state="ready"]');
    const link = await page.getAttribute('#permalink', 'href');
    const again = await browser!.context.newPage();
    const same = again.waitForRequest((r) => r.url().includes('/data.json?'));
    await again.goto(`${base}${link}`);
    expect(new URL((await same).url()).searchParams.get('to')).to.equal(movedUrl.searchParams.get('to'));
    await again.close();
    await page.close();
  });

  it('is usable on a phone-sized screen: no sideways scrolling, the chart fits', async () => {
    const page = await browser!.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/node?realm=hiverize&address=${encodeURIComponent('testdrive/area/42_node_1')}`);
    await page.waitForSelector('body[data-state="ready"]');
    const widths = (await page.evaluate(`({
      page: document.documentElement.scrollWidth,
      chart: document.querySelector('#chart canvas').getBoundingClientRect().width,
    })`)) as { page: number; chart: number };
    expect(widths.page).to.be.at.most(390);
    expect(widths.chart).to.be.within(280, 390);
    await page.close();
  });

  it('asks for its data while uPlot loads, marks the data request and the drawn chart, and says so when uPlot fails', async () => {
    const page = await browser!.context.newPage();
    const url = `${base}/node?realm=hiverize&address=${encodeURIComponent('testdrive/area/42_node_1')}`;
    // uPlot held back until the data request has gone out: the page must not wait for it to ask.
    let releaseUplot: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      releaseUplot = resolve;
    });
    await page.route('**/assets/uPlot.iife.min.js', async (route) => {
      await held;
      await route.continue();
    });
    const dataRequest = page.waitForRequest((r) => r.url().includes('/data.json?'));
    await page.goto(url, { waitUntil: 'commit' });
    await dataRequest;
    releaseUplot();
    await page.waitForSelector('body[data-state="ready"]');
    const marks = (await page.evaluate(`({
      request: performance.getEntriesByName('daqd:data-request').map((m) => m.startTime),
      drawn: performance.getEntriesByName('daqd:drawn').map((m) => m.startTime),
    })`)) as { request: number[]; drawn: number[] };
    expect(marks.request).to.have.length(1);
    expect(marks.drawn).to.have.length(1);
    expect(marks.drawn[0]).to.be.greaterThan(marks.request[0]!);
    expect(await seriesPixels(page)).to.be.greaterThan(200);

    await page.unroute('**/assets/uPlot.iife.min.js');
    await page.route('**/assets/uPlot.iife.min.js', (route) => route.abort());
    await page.goto(url);
    await page.waitForSelector('body[data-state="error"]');
    expect(await page.locator('#info').innerText()).to.equal(
      'Cannot show the chart: the chart library did not load',
    );
    await page.close();
  });

  it('refuses bad aggregation parameters with 400 and a message', async () => {
    const res = await fetch(`${base}/api/hiverize/testdrive/area-42/node-1/data.json?interval=5x`);
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { message: string }).message).to.contain(
      'interval must be a whole number and a unit',
    );
    const agg = await fetch(
      `${base}/api/hiverize/testdrive/area-42/node-1/data.json?interval=1h&aggregate=mode`,
    );
    expect(agg.status).to.equal(400);
  });

  // Last: it stops daqd.
  it('ends open live streams when daqd stops, and stops promptly', async () => {
    const res = await fetch(`${base}/view/live?realm=hiverize&address=testdrive/area-42/node-1`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.contain('text/event-stream');
    const reader = res.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).to.contain('retry: 2000');
    const stopping = Date.now();
    expect(await daemon!.stop()).to.equal(0);
    // shutdown_timeout is 5 s: a stream holding the HTTP server open would take most of it.
    expect(Date.now() - stopping).to.be.below(3000);
    let done = false;
    while (!done) done = (await reader.read()).done;
    expect(done).to.equal(true);
  });
});
