import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import { InfluxSink } from '../../lib/acquire/sink/influxdb.js';
import type { Cell, Sink } from '../../lib/acquire/sink/sink.js';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../lib/core/log.js';
import type { Point } from '../../lib/core/point.js';
import { runCli } from '../support/daqd.js';
import { freePort, type InfluxdProcess, startInfluxd } from '../support/influxd.js';

const T = 1583810982123456789n;
const SECOND = 1_000_000_000n;

/** The rows of one measurement around T, as the store gives them back. */
async function rowsOf(sink: Sink, database: string, measurement: string) {
  const result = await sink.query({ database, measurement, from: T - 10n * SECOND, to: T + 10n * SECOND });
  const rows: Array<Record<string, Cell | bigint>> = [];
  for await (const [time, ...cells] of result.rows) {
    const row: Record<string, Cell | bigint> = { time };
    result.columns.forEach((name, i) => {
      row[name] = cells[i] ?? null;
    });
    rows.push(row);
  }
  return rows;
}

function point(measurement: string, fields: Point['fields'], time: bigint, tags: Point['tags'] = {}): Point {
  return { measurement, tags, fields, time };
}

describe('cli: daqd dead-letters (SQLite store)', () => {
  let dir: string;
  let main: string;
  let dataDir: string;
  let store: DeadLetterStore;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-dead-letters-'));
    main = path.join(dir, 'daqd.ini');
    dataDir = path.join(dir, 'var');
    await writeFile(main, '[daqd]\ndata_dir = var\n\n[storage]\nbackend = sqlite\n');
    store = new DeadLetterStore({ dataDir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function withSqlite<T>(fn: (sink: SqliteSink) => Promise<T>): Promise<T> {
    const sink = new SqliteSink({ dataDir, log: silentLog() });
    await sink.start();
    try {
      return await fn(sink);
    } finally {
      await sink.stop();
    }
  }

  /** Database `lab` with field `v` of `m` a float, and a string `v` rejected into the dead-letter file. */
  async function conflict(): Promise<Point> {
    await withSqlite((sink) => sink.write('lab', [point('m', { v: 1.5 }, T - SECOND, { node: '1' })]));
    const bad = point('m', { v: 'warm' }, T, { node: '1' });
    await store.add('lab', [bad], 'measurement "m": field "v" is type string, already exists as type float');
    return bad;
  }

  it('lists each database with its file, points and the reasons with counts', async () => {
    await store.add('lab', [point('m', { v: 'a' }, T), point('m', { v: 'b' }, T + 1n)], 'type conflict');
    await store.add('lab', [point('m', { v: 'c' }, T + 2n)], 'other reason');
    await store.add('lab_2', [point('n', { w: true }, T)], 'bad name');
    await writeFile(store.fileFor('lab_2'), 'not json\n', { flag: 'a' });
    const { code, stdout, stderr } = await runCli(['dead-letters', 'list', '--config', main]);
    expect(stderr).to.equal('');
    expect(code).to.equal(0);
    expect(stdout.trimEnd().split('\n')).to.deep.equal([
      `database 'lab': 3 points in ${store.fileFor('lab')}`,
      '  2  type conflict',
      '  1  other reason',
      `database 'lab_2': 1 point in ${store.fileFor('lab_2')}`,
      '  1  bad name',
      '  1 unreadable line (kept; fix or remove by hand)',
    ]);
  });

  it('says so when there is nothing; a replay then has nothing to do (exit 0)', async () => {
    const listed = await runCli(['dead-letters', 'list', '--config', main]);
    expect(listed.code).to.equal(0);
    expect(listed.stdout).to.equal(`no dead letters in ${path.join(dataDir, 'dead-letter')}\n`);
    const replayed = await runCli(['dead-letters', 'replay', '--config', main]);
    expect(replayed.code).to.equal(0);
    expect(replayed.stdout).to.equal(`no dead letters in ${path.join(dataDir, 'dead-letter')}\n`);
    const named = await runCli(['dead-letters', 'replay', 'nope', '--config', main]);
    expect(named.code).to.equal(0);
    expect(named.stdout).to.contain("database 'nope': no dead letters");
    expect(existsSync(path.join(dataDir, 'sqlite', 'nope.sqlite'))).to.equal(false);
  });

  it('--dry-run prints the points as line protocol with their ns time and writes nothing', async () => {
    await conflict();
    await writeFile(store.fileFor('lab'), 'broken\n', { flag: 'a' });
    const before = await readFile(store.fileFor('lab'), 'utf8');
    const { code, stdout } = await runCli(['dead-letters', 'replay', '--dry-run', '--config', main]);
    expect(code).to.equal(0);
    expect(stdout.trimEnd().split('\n')).to.deep.equal([
      `database 'lab': would write 1 point to sqlite (${store.fileFor('lab')})`,
      `  m,node=1 v="warm" ${T}`,
      `database 'lab': 1 unreadable line kept in ${store.fileFor('lab')}; fix or remove by hand:`,
      '  line 2: not valid JSON',
    ]);
    expect(await readFile(store.fileFor('lab'), 'utf8')).to.equal(before);
    expect(await withSqlite((sink) => rowsOf(sink, 'lab', 'm'))).to.have.length(1);
  });

  it('stores what the store now takes, keeps what it rejects again and unreadable lines; replays all once fixed', async () => {
    await conflict();
    const good = point('m2', { w: 3 }, T + 7n, { node: '2' });
    await store.add('lab', [good], 'was rejected with its batch');
    await writeFile(store.fileFor('lab'), '{"measurement":"m"}\n', { flag: 'a' });
    const [rejectedLine, , unreadableLine] = (await readFile(store.fileFor('lab'), 'utf8'))
      .trimEnd()
      .split('\n');

    const first = await runCli(['dead-letters', 'replay', '--config', main]);
    expect(first.code).to.equal(1);
    const out = first.stdout.trimEnd().split('\n');
    expect(out[0]).to.equal(
      `database 'lab': replayed 1 of 2 points to sqlite; 1 still rejected, kept in ${store.fileFor('lab')}:`,
    );
    expect(out[1]).to.match(/^ {2}1 {2}database 'lab': partial write: .*field "v".* dropped=1$/);
    expect(out[2]).to.equal(
      `database 'lab': 1 unreadable line kept in ${store.fileFor('lab')}; fix or remove by hand:`,
    );
    expect(out[3]).to.match(/^ {2}line 3: no 'time'/);
    // The rejected point and the unreadable line are kept as they were, in file order.
    expect(await readFile(store.fileFor('lab'), 'utf8')).to.equal(`${rejectedLine}\n${unreadableLine}\n`);
    expect(await withSqlite((sink) => rowsOf(sink, 'lab', 'm2'))).to.deep.equal([
      { time: T + 7n, node: '2', w: 3 },
    ]);

    // The operator renames the field in the file and removes the line nobody can read.
    await writeFile(store.fileFor('lab'), `${rejectedLine!.replace('"v":"warm"', '"v_text":"warm"')}\n`);
    const second = await runCli(['dead-letters', 'replay', 'lab', '--config', main]);
    expect(second.stderr).to.equal('');
    expect(second.code, second.stdout).to.equal(0);
    expect(second.stdout).to.equal("database 'lab': replayed 1 point to sqlite\n");
    expect(existsSync(store.fileFor('lab'))).to.equal(false);
    expect(await withSqlite((sink) => rowsOf(sink, 'lab', 'm'))).to.deep.equal([
      { time: T - SECOND, node: '1', v: 1.5, v_text: null },
      { time: T, node: '1', v: null, v_text: 'warm' },
    ]);
    const listed = await runCli(['dead-letters', 'list', '--config', main]);
    expect(listed.stdout).to.match(/^no dead letters in /);
  });

  it('replays only the databases named', async () => {
    await store.add('one', [point('m', { v: 1 }, T)], 'r');
    await store.add('two', [point('m', { v: 2 }, T)], 'r');
    const { code, stdout } = await runCli(['dead-letters', 'replay', 'two', '--config', main]);
    expect(code).to.equal(0);
    expect(stdout).to.equal("database 'two': replayed 1 point to sqlite\n");
    expect(existsSync(store.fileFor('one'))).to.equal(true);
    expect(existsSync(store.fileFor('two'))).to.equal(false);
    expect(await withSqlite((sink) => rowsOf(sink, 'two', 'm'))).to.deep.equal([{ time: T, v: 2 }]);
    expect(await withSqlite((sink) => rowsOf(sink, 'one', 'm'))).to.deep.equal([]);
  });

  it('exits 1 with one line and leaves the file as it was when the store cannot be opened', async () => {
    await store.add('lab', [point('m', { v: 1 }, T)], 'r');
    const before = await readFile(store.fileFor('lab'), 'utf8');
    // A file where the store's folder should be: the store cannot start.
    await writeFile(path.join(dataDir, 'sqlite'), 'in the way');
    const { code, stdout, stderr } = await runCli(['dead-letters', 'replay', '--config', main]);
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr.trimEnd().split('\n')).to.have.length(1);
    expect(stderr).to.match(/^daqd dead-letters: storage 'sqlite' unavailable \(.+\); nothing replayed\n$/);
    expect(await readFile(store.fileFor('lab'), 'utf8')).to.equal(before);
  });

  it('exits 78 for an invalid configuration, printing the problem as check does', async () => {
    await writeFile(main, '[daqd]\ndata_dir = var\n\n[storage]\nbackend = mongodb\n');
    for (const action of ['list', 'replay']) {
      const { code, stderr } = await runCli(['dead-letters', action, '--config', main]);
      expect(code, action).to.equal(78);
      expect(stderr, action).to.match(
        new RegExp(`^${main.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5: storage\\.backend: `),
      );
    }
  });

  it('answers bad usage with exit 64 and has help', async () => {
    for (const args of [
      ['dead-letters'],
      ['dead-letters', 'frobnicate'],
      ['dead-letters', 'list', 'extra'],
      ['dead-letters', 'list', '--dry-run'],
      ['check', '--dry-run'],
    ]) {
      const { code, stderr } = await runCli([...args, '--config', main]);
      expect(code, args.join(' ')).to.equal(64);
      expect(stderr, args.join(' ')).to.match(/^daqd/);
    }
    const help = await runCli(['dead-letters', '--help']);
    expect(help.code).to.equal(0);
    expect(help.stdout).to.match(/^Usage: daqd dead-letters list/);
    expect(help.stdout).to.contain('Fix the cause first');
  });
});

describe('cli: daqd dead-letters (real influxd)', () => {
  let influxd: InfluxdProcess;
  let dir: string;
  let main: string;
  let store: DeadLetterStore;
  before(async () => {
    influxd = await startInfluxd();
  });
  after(async () => {
    await influxd?.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-dead-letters-influx-'));
    main = path.join(dir, 'daqd.ini');
    store = new DeadLetterStore({ dataDir: path.join(dir, 'var') });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function withInflux<T>(url: string, fn: (sink: InfluxSink) => Promise<T>): Promise<T> {
    const sink = new InfluxSink({
      settings: { url, flush_interval: 250, timeout: 5000 },
      log: silentLog(),
    });
    await sink.start();
    try {
      return await fn(sink);
    } finally {
      await sink.stop();
    }
  }

  it('keeps a point rejected for a field type conflict until the field is renamed, then stores it with its exact ns time', async () => {
    await writeFile(main, `[daqd]\ndata_dir = var\n\n[influxdb]\nurl = ${influxd.url}\n`);
    const database = 'dl_conflict';
    await withInflux(influxd.url, (sink) =>
      sink.write(database, [point('m', { v: 1.5 }, T - SECOND, { node: '1' })]),
    );
    // What the daemon did when the string came: it is in the dead-letter file with InfluxDB's reason.
    await store.add(database, [point('m', { v: 'warm' }, T, { node: '1' })], 'field type conflict');
    await store.add(database, [point('m2', { w: 3 }, T + 1n)], 'was rejected with its batch');
    const [rejectedLine] = (await readFile(store.fileFor(database), 'utf8')).split('\n');

    const first = await runCli(['dead-letters', 'replay', database, '--config', main]);
    expect(first.stderr).to.equal('');
    expect(first.code).to.equal(1);
    const out = first.stdout.trimEnd().split('\n');
    expect(out[0]).to.equal(
      `database '${database}': replayed 1 of 2 points to influxdb; 1 still rejected, kept in ${store.fileFor(database)}:`,
    );
    expect(out[1]).to.match(/^ {2}1 {2}influxdb: .*HTTP 400.*field type conflict/);
    expect(await readFile(store.fileFor(database), 'utf8')).to.equal(`${rejectedLine}\n`);
    expect(await withInflux(influxd.url, (sink) => rowsOf(sink, database, 'm2'))).to.deep.equal([
      { time: T + 1n, w: 3 },
    ]);

    // InfluxDB 1.x keeps a field's type in its shards even after DROP MEASUREMENT (influxdata/influxdb
    // #10547): the operator renames the field in the file instead.
    await writeFile(store.fileFor(database), `${rejectedLine!.replace('"v":"warm"', '"v_text":"warm"')}\n`);
    const second = await runCli(['dead-letters', 'replay', '--config', main]);
    expect(second.stderr).to.equal('');
    expect(second.code, second.stdout).to.equal(0);
    expect(second.stdout).to.equal(`database '${database}': replayed 1 point to influxdb\n`);
    expect(existsSync(store.fileFor(database))).to.equal(false);
    expect(await withInflux(influxd.url, (sink) => rowsOf(sink, database, 'm'))).to.deep.equal([
      { time: T - SECOND, node: '1', v: 1.5, v_text: null },
      { time: T, node: '1', v: null, v_text: 'warm' },
    ]);
  });

  it('stops at a store that does not answer: exit 1, one line, the file as it was', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    await writeFile(main, `[daqd]\ndata_dir = var\n\n[influxdb]\nurl = ${closed}\ntimeout = 2000\n`);
    await store.add('dl_down', [point('m', { v: 1 }, T), point('m', { v: 2 }, T + 1n)], 'r');
    const before = await readFile(store.fileFor('dl_down'), 'utf8');
    const { code, stdout, stderr } = await runCli(['dead-letters', 'replay', '--config', main]);
    expect(code).to.equal(1);
    expect(stdout).to.equal('');
    expect(stderr.trimEnd().split('\n')).to.have.length(1);
    expect(stderr).to.match(
      /^daqd dead-letters: storage 'influxdb' unavailable \(.+\); stopped, .*dl_down\.ndjson left as it was\n$/,
    );
    expect(await readFile(store.fileFor('dl_down'), 'utf8')).to.equal(before);
  });
});
