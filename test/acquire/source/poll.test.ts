import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { polledToPoints } from '../../../lib/acquire/pipeline.js';
import { SeriesClock } from '../../../lib/acquire/sanitize/series-clock.js';
import { type PollIntake, PollSource } from '../../../lib/acquire/source/poll.js';
import { PollStateFile } from '../../../lib/acquire/source/poll-state-file.js';
import { parseIni } from '../../../lib/config/ini-file.js';
import { readMainSettings } from '../../../lib/config/main-settings.js';
import { readRealmApps } from '../../../lib/config/realm-apps.js';
import type { RealmApp } from '../../../lib/config/settings.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { Log } from '../../../lib/core/log.js';
import type { Point } from '../../../lib/core/point.js';
import { freePort } from '../../support/free-port.js';
import { isemsLine, NodeLogServer } from '../../support/node-log-server.js';

const main = readMainSettings(parseIni('[mqtt]\nhost = broker\n', '/etc/daqd/daqd.ini').ini, {}).settings;

function isemsApp(urls: string[], extra = ''): RealmApp {
  const text =
    '[isems]\ntype = application\nrealm = isems\ntopic_template = /isems/{node}/csvlog\ncsv_fields = isems\n' +
    `poll_urls = ${urls.join(', ')}\npoll_topic = /isems/{nodeId}/csvlog\npoll_jitter = 0\n${extra}`;
  const { apps, problems } = readRealmApps([parseIni(text, '/apps/isems.ini').ini], main);
  expect(problems.map((p) => p.format())).to.deep.equal([]);
  return apps[0]!;
}

/** The store as the source sees it: keeps what it is handed (or fails while `failing`). */
class RecordingIntake implements PollIntake {
  readonly stored: { database: string; points: Point[]; at: number }[] = [];
  readonly reports: { topic: string; message: string; skipped: number }[] = [];
  failing = false;
  private readonly clock = new SeriesClock();

  constructor(private readonly app: RealmApp) {}

  pointsOf(topic: string, readings: readonly Record<string, unknown>[], receivedAt: bigint) {
    return polledToPoints(topic, readings, receivedAt, { app: this.app, timezone: 'UTC', clock: this.clock });
  }

  async store(database: string, points: readonly Point[]): Promise<void> {
    if (this.failing) throw new StorageError('the store is down and the spool full', true);
    this.stored.push({ database, points: [...points], at: Date.now() });
  }

  report(topic: string, err: Error, skipped: number): void {
    this.reports.push({ topic, message: err.message, skipped });
  }

  times(database: string): number[] {
    return this.stored
      .filter((s) => s.database === database)
      .flatMap((s) => s.points.map((p) => Number(p.time / 1_000_000_000n)));
  }
}

/** A log that keeps its lines. */
function recordingLog(lines: string[]): Log {
  const log: Log = {
    error: (m) => lines.push(`error: ${m}`),
    warning: (m) => lines.push(`warning: ${m}`),
    notice: (m) => lines.push(`notice: ${m}`),
    info: (m) => lines.push(`info: ${m}`),
    debug: () => {},
    isDebug: () => false,
    child: () => log,
  };
  return log;
}

describe('acquire/source/poll: PollSource against real HTTP servers', function () {
  this.timeout(30_000);
  let server: NodeLogServer;
  let dataDir: string;
  let downUrl: string;
  const sources: PollSource[] = [];

  beforeEach(async () => {
    server = new NodeLogServer();
    await server.start();
    dataDir = await mkdtemp(path.join(tmpdir(), 'daqd-poll-'));
    downUrl = `http://127.0.0.1:${await freePort()}/ISEMS/ffopenmppt.log`;
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.stop()));
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  function source(app: RealmApp, intake: PollIntake, log: Log = recordingLog([])): PollSource {
    const s = new PollSource({
      realm: app.realm,
      settings: app.poll!,
      app,
      intake,
      stateFile: new PollStateFile(dataDir, app.realm),
      log,
    });
    sources.push(s);
    return s;
  }

  it('stores every good line once across rounds, counts bad lines, and a slow or silent node holds up no one', async () => {
    server.serve('/alpha.log', { body: isemsLine('Alpha', 1000) + isemsLine('Alpha', 1001) });
    server.serve('/beta.log', {
      body: `${isemsLine('Beta', 2000)}Beta;1;2001;short\n${isemsLine('Beta', 2002)}`,
    });
    server.serve('/slow.log', { body: isemsLine('Slow', 3000), delayMs: 20_000 });
    const app = isemsApp(
      [server.url('/slow.log'), downUrl, server.url('/alpha.log'), server.url('/beta.log')],
      'poll_timeout = 2\npoll_concurrency = 2\n',
    );
    const intake = new RecordingIntake(app);
    const lines: string[] = [];
    const poll = source(app, intake, recordingLog(lines));

    const started = Date.now();
    const first = await poll.runRound({ jitter: false });
    expect(first.urls.map((u) => [u.url, u.result, u.stored, u.already, u.skipped])).to.deep.equal([
      [server.url('/slow.log'), 'timeout', 0, 0, 0],
      [downUrl, 'unreachable', 0, 0, 0],
      [server.url('/alpha.log'), 'ok', 2, 0, 0],
      [server.url('/beta.log'), 'ok', 2, 0, 1],
    ]);
    expect(first.urls[0]?.problem).to.equal('no complete answer within 2 s');
    expect(first.urls[1]?.problem).to.equal('ECONNREFUSED');
    // With two slots, the slow node holds one; the silent one frees the other at once for the rest.
    const slowAsked = server.requests.find((r) => r.path === '/slow.log')!.at;
    for (const log of ['/alpha.log', '/beta.log']) {
      expect(server.requests.find((r) => r.path === log)!.at - slowAsked).to.be.below(1_500);
    }
    expect(Math.max(...intake.stored.map((s) => s.at)) - started).to.be.below(1_800);
    expect(intake.times('isems_alpha')).to.deep.equal([1000, 1001]);
    expect(intake.times('isems_beta')).to.deep.equal([2000, 2002]);
    expect(intake.reports).to.deep.equal([
      {
        topic: `/isems/127.0.0.1/csvlog`,
        message: 'skipped 1 line(s): line 2: 4 fields, expected 18 to 19',
        skipped: 1,
      },
    ]);

    // The log grows; the other answers 304 to the conditional request.
    server.append('/alpha.log', isemsLine('Alpha', 1002));
    const second = await poll.runRound({ jitter: false });
    expect(second.urls.map((u) => [u.result, u.stored, u.already])).to.deep.equal([
      ['timeout', 0, 0],
      ['unreachable', 0, 0],
      ['ok', 1, 2],
      ['not_modified', 0, 0],
    ]);
    expect(intake.times('isems_alpha')).to.deep.equal([1000, 1001, 1002]);
    const betaAsked = server.requests.filter((r) => r.path === '/beta.log');
    expect(betaAsked[0]?.headers['if-none-match']).to.equal(undefined);
    expect(betaAsked[1]?.headers['if-none-match']).to.match(/^"[0-9a-f]{40}"$/);
    expect(betaAsked[1]?.headers['if-modified-since']).to.equal('Tue, 01 Dec 2026 00:00:01 GMT');

    // Down once, whatever the rounds; the counts per result.
    expect(lines.filter((l) => l.includes('is down'))).to.have.members([
      `warning: realm 'isems': poll: '${server.url('/slow.log')}' is down: no complete answer within 2 s`,
      `warning: realm 'isems': poll: '${downUrl}' is down: ECONNREFUSED`,
    ]);
    const status = poll.status();
    expect(status.map((n) => [n.up, n.failures, n.requests.ok, n.requests.not_modified])).to.deep.equal([
      [false, 2, 0, 0],
      [false, 2, 0, 0],
      [true, 0, 2, 0],
      [true, 0, 1, 1],
    ]);

    // The slow node answers in time again: back, said once.
    server.serve('/slow.log', { body: isemsLine('Slow', 3000) });
    const third = await poll.runRound({ jitter: false });
    expect(third.urls[0]).to.deep.include({ result: 'ok', stored: 1 });
    expect(lines.filter((l) => l.includes('is back'))).to.deep.equal([
      `notice: realm 'isems': poll: '${server.url('/slow.log')}' is back`,
    ]);
  });

  it('sends nothing again after a restart, from the marks kept under data_dir (the node gives no validators)', async () => {
    server.serve('/alpha.log', {
      body: isemsLine('Alpha', 1000) + isemsLine('Alpha', 1001),
      validators: false,
    });
    const app = isemsApp([server.url('/alpha.log')]);
    const before = new RecordingIntake(app);
    const first = source(app, before);
    await first.runRound({ jitter: false });
    await first.stop();
    expect(before.times('isems_alpha')).to.deep.equal([1000, 1001]);

    server.append('/alpha.log', isemsLine('Alpha', 1002));
    const after = new RecordingIntake(app);
    const report = await source(app, after).runRound({ jitter: false });
    expect(report.urls[0]).to.deep.include({ result: 'ok', stored: 1, already: 2 });
    expect(after.times('isems_alpha')).to.deep.equal([1002]);
    expect(server.requests.every((r) => r.headers['if-none-match'] === undefined)).to.equal(true);
  });

  it('marks nothing the store did not take, and asks unconditionally again: the next round stores it', async () => {
    server.serve('/alpha.log', { body: isemsLine('Alpha', 1000) });
    const app = isemsApp([server.url('/alpha.log')]);
    const intake = new RecordingIntake(app);
    const poll = source(app, intake);
    intake.failing = true;
    const failed = await poll.runRound({ jitter: false });
    expect(failed.urls[0]).to.deep.include({ result: 'store_failed', stored: 0 });
    expect(failed.urls[0]?.problem).to.match(/'isems_alpha': the store is down and the spool full/);
    intake.failing = false;
    const again = await poll.runRound({ jitter: false });
    expect(again.urls[0]).to.deep.include({ result: 'ok', stored: 1 });
    expect(server.requests.map((r) => r.headers['if-none-match'])).to.deep.equal([undefined, undefined]);
    expect(poll.status()[0]?.up).to.equal(true);
  });

  it('counts a body it cannot read as bad_body, and reports it', async () => {
    server.serve('/page', { body: '<html>no log here</html>', contentType: 'text/html' });
    const app = isemsApp([server.url('/page')]);
    const intake = new RecordingIntake(app);
    const report = await source(app, intake).runRound({ jitter: false });
    expect(report.urls[0]?.result).to.equal('bad_body');
    expect(report.urls[0]?.problem).to.match(
      /no good line \(1 skipped; line 1: 1 fields, expected 18 to 19\)/,
    );
    expect(intake.reports).to.have.length(1);
    expect(intake.reports[0]?.skipped).to.equal(0);
  });

  it('stop() aborts the requests in flight and the timers at once', async () => {
    server.serve('/slow.log', { body: isemsLine('Slow', 3000), delayMs: 20_000 });
    const app = isemsApp([server.url('/slow.log')], 'poll_timeout = 20\npoll_interval = 30\n');
    const poll = source(app, new RecordingIntake(app));
    await poll.start();
    await new Promise((r) => setTimeout(r, 300));
    expect(server.requests.map((r) => r.status)).to.deep.equal([0]);
    const stopping = Date.now();
    await poll.stop();
    expect(Date.now() - stopping).to.be.below(2_000);
    expect(poll.connected).to.equal(false);
    // Stopped: a round asked for now starts nothing.
    const report = await poll.runRound({ jitter: false });
    expect(report.urls.map((u) => u.result)).to.deep.equal(['aborted']);
  });
});
