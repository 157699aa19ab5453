import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { QueryResult } from '../../../lib/acquire/sink/sink.js';
import { SqliteSink } from '../../../lib/acquire/sink/sqlite.js';
import { QueryError, StorageError } from '../../../lib/core/errors.js';
import { silentLog } from '../../../lib/core/log.js';
import type { Point } from '../../../lib/core/point.js';
import { describeSinkContract } from './sink-contract.js';

async function openSqlite(): Promise<{ sink: SqliteSink; dataDir: string; cleanup(): Promise<void> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'daqd-sqlite-'));
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  return {
    sink,
    dataDir,
    async cleanup() {
      await sink.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(Error);
    return err as Error;
  }
  expect.fail('expected a rejection');
}

async function collect(result: QueryResult): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const row of result.rows) rows.push(row);
  return rows;
}

const T0 = 1583810982123456789n;

describeSinkContract('sqlite', openSqlite);

describe('SqliteSink', () => {
  let sink: SqliteSink;
  let dataDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ sink, dataDir, cleanup } = await openSqlite());
  });

  afterEach(async () => {
    await cleanup();
  });

  const p = (time: bigint, fields: Point['fields'], tags: Point['tags'] = {}): Point => ({
    measurement: 'sensors',
    tags,
    fields,
    time,
  });
  const all = (database = 'db') => ({ database, measurement: 'sensors', from: 0n, to: 2n * T0 });

  it('stores one file per database under <dataDir>/sqlite', async () => {
    await sink.write('hiveeyes_testdrive', [p(T0, { v: 1 })]);
    expect(existsSync(join(dataDir, 'sqlite', 'hiveeyes_testdrive.sqlite'))).to.equal(true);
  });

  it('names files as the spool and dead letters do, and keeps using a file named the earlier way', async () => {
    await sink.write('a b.c', [p(T0, { v: 1 })]);
    expect(readdirSync(join(dataDir, 'sqlite')).filter((f) => f.endsWith('.sqlite'))).to.deep.equal([
      'a%20b%2Ec.sqlite',
    ]);
    // An earlier daqd stored 'x.y' as x.y.sqlite: that file stays and is written on.
    const earlier = new SqliteSink({ dataDir: join(dataDir, 'earlier'), log: silentLog() });
    await earlier.start();
    try {
      await earlier.write('x_y', [p(T0, { v: 1 })]);
    } finally {
      await earlier.stop();
    }
    await rename(join(dataDir, 'earlier', 'sqlite', 'x_y.sqlite'), join(dataDir, 'sqlite', 'x.y.sqlite'));
    await sink.write('x.y', [p(T0 + 1n, { v: 2 })]);
    expect(readdirSync(join(dataDir, 'sqlite')).filter((f) => f.endsWith('.sqlite'))).to.deep.equal([
      'a%20b%2Ec.sqlite',
      'x.y.sqlite',
    ]);
    expect((await collect(await sink.query(all('x.y')))).map((row) => row[1])).to.deep.equal([1, 2]);
  });

  it('rejects a point whose field type conflicts, writes the rest of the batch (partial write)', async () => {
    await sink.write('db', [p(T0, { v: 1.5 })]);
    const err = await rejection(
      sink.write('db', [p(T0 + 1n, { v: 2.5 }), p(T0 + 2n, { v: 'text', w: 1 }), p(T0 + 3n, { v: 3.5 })]),
    );
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).retryable).to.equal(false);
    expect(err.message).to.include('partial write');
    expect(err.message).to.include('2 of 3 points written');
    expect(err.message).to.include(
      'field type conflict: input field "v" on measurement "sensors" is type string, already exists as type float',
    );
    const result = await sink.query(all());
    // `w` came only with the rejected point, so it was never registered.
    expect(result.columns).to.deep.equal(['v']);
    expect(await collect(result)).to.deep.equal([
      [T0, 1.5],
      [T0 + 1n, 2.5],
      [T0 + 3n, 3.5],
    ]);
  });

  it('fixes a field type by its first write within one batch too', async () => {
    const err = await rejection(sink.write('db', [p(T0, { flag: true }), p(T0 + 1n, { flag: 1 })]));
    expect((err as StorageError).retryable).to.equal(false);
    expect(err.message).to.include('is type float, already exists as type boolean');
    expect(await collect(await sink.query(all()))).to.deep.equal([[T0, true]]);
  });

  it('rejects points it cannot store: no fields, non-finite numbers', async () => {
    const err = await rejection(
      sink.write('db', [p(T0, {}), p(T0 + 1n, { v: Number.NaN }), p(T0 + 2n, { v: 1 })]),
    );
    expect(err).to.be.instanceOf(StorageError);
    expect(err.message).to.include('1 of 3 points written');
    expect(await collect(await sink.query(all()))).to.deep.equal([[T0 + 2n, 1]]);
  });

  for (const name of ['', '../escape', 'a/b', 'a\\b', '..', '.hidden', 'x..y', 'nul\u0000byte']) {
    it(`refuses the database name ${JSON.stringify(name)}`, async () => {
      const writeErr = await rejection(sink.write(name, [p(T0, { v: 1 })]));
      expect(writeErr).to.be.instanceOf(StorageError);
      expect((writeErr as StorageError).retryable).to.equal(false);
      expect(await rejection(sink.query(all(name)))).to.be.instanceOf(QueryError);
      expect(await rejection(sink.measurements(name))).to.be.instanceOf(QueryError);
      expect(readdirSync(join(dataDir, 'sqlite'))).to.deep.equal([]);
      expect(readdirSync(dataDir)).to.deep.equal(['sqlite']);
    });
  }

  it('does not create a database file when querying', async () => {
    const result = await sink.query(all('never_written'));
    expect(await collect(result)).to.deep.equal([]);
    expect(await sink.measurements('never_written')).to.deep.equal([]);
    expect(readdirSync(join(dataDir, 'sqlite'))).to.deep.equal([]);
  });

  it('merges repeated points within one batch, across statement boundaries', async () => {
    // 150 points: batches go to SQLite 64 rows per statement, so repeats land in other statements too.
    const batch: Point[] = [];
    for (let i = 0; i < 50; i++) batch.push(p(T0 + BigInt(i), { a: i }));
    for (let i = 0; i < 50; i++) batch.push(p(T0 + BigInt(i), { b: -i - 1 }));
    for (let i = 0; i < 50; i++) batch.push(p(T0 + BigInt(i), { a: i * 10 }));
    await sink.write('db', batch);
    const rows = await collect(await sink.query(all()));
    expect(rows).to.have.length(50);
    expect(rows[0]).to.deep.equal([T0, 0, -1]);
    expect(rows[49]).to.deep.equal([T0 + 49n, 490, -50]);
  });

  it('does not mistake Object.prototype members for fields or tags', async () => {
    await sink.write('db', [
      p(T0, { a: 1 }),
      p(T0 + 1n, { constructor: 2, toString: 3 }, { __proto__x: 't' }),
    ]);
    const result = await sink.query(all());
    expect(result.columns).to.deep.equal(['__proto__x', 'a', 'constructor', 'toString']);
    expect(await collect(result)).to.deep.equal([
      [T0, null, 1, null, null],
      [T0 + 1n, 't', null, 2, 3],
    ]);
  });

  it('keeps its data across a restart', async () => {
    await sink.write('db', [p(T0, { v: 1 }, { node: 'n1' })]);
    await sink.stop();
    const again = new SqliteSink({ dataDir, log: silentLog() });
    await again.start();
    try {
      await again.write('db', [p(T0, { w: 2 }, { node: 'n1' })]);
      expect(await collect(await again.query(all()))).to.deep.equal([[T0, 'n1', 1, 2]]);
    } finally {
      await again.stop();
    }
  });

  it('ends an open query with a retryable StorageError when the sink stops; stop is idempotent', async () => {
    await sink.write(
      'db',
      Array.from({ length: 10 }, (_, i) => p(T0 + BigInt(i), { v: i })),
    );
    const result = await sink.query(all());
    const iterator = result.rows[Symbol.asyncIterator]();
    expect((await iterator.next()).value).to.deep.equal([T0, 0]);
    await sink.stop();
    await sink.stop();
    const err = await rejection(iterator.next());
    expect(err).to.be.instanceOf(StorageError);
    expect((err as StorageError).retryable).to.equal(true);
    const writeErr = await rejection(sink.write('db', [p(T0, { v: 1 })]));
    expect((writeErr as StorageError).retryable).to.equal(true);
  });

  it('lets writes go on while a query streams', async () => {
    await sink.write('db', [p(T0, { v: 1 }), p(T0 + 1n, { v: 2 })]);
    const result = await sink.query(all());
    const iterator = result.rows[Symbol.asyncIterator]();
    expect((await iterator.next()).value).to.deep.equal([T0, 1]);
    await sink.write('db', [p(T0 + 2n, { v: 3 })]);
    // The query reads the snapshot it started on.
    expect((await iterator.next()).value).to.deep.equal([T0 + 1n, 2]);
    expect((await iterator.next()).done).to.equal(true);
    expect(await collect(await sink.query(all()))).to.have.length(3);
  });

  it('round-trips 200,000 points in one write, streaming the read without blocking the event loop', async function () {
    this.timeout(60_000);
    const count = 200_000;
    const points: Point[] = [];
    for (let i = 0; i < count; i++) {
      points.push({
        measurement: 'gw1_node1_sensors',
        tags: { node: `n${i % 4}` },
        fields: { temperature: 20 + (i % 100) / 10, weight: i, ok: i % 2 === 0 },
        time: T0 + BigInt(i) * 1_000_000n + 7n,
      });
    }
    const started = process.hrtime.bigint();
    await sink.write('bulk', points);
    const writeMs = Number(process.hrtime.bigint() - started) / 1e6;

    let turns = 0;
    const ticker = setInterval(() => {
      turns += 1;
    }, 0);
    let rows = 0;
    let previous = -1n;
    let readMs: number;
    try {
      const readStarted = process.hrtime.bigint();
      const result = await sink.query({
        database: 'bulk',
        measurement: 'gw1_node1_sensors',
        from: T0,
        to: T0 + BigInt(count) * 1_000_000n,
      });
      expect(result.columns).to.deep.equal(['node', 'ok', 'temperature', 'weight']);
      for await (const [time, node, ok, temperature, weight] of result.rows) {
        const i = rows;
        expect(time).to.equal(T0 + BigInt(i) * 1_000_000n + 7n);
        if (i % 997 === 0)
          expect([node, ok, temperature, weight]).to.deep.equal([
            `n${i % 4}`,
            i % 2 === 0,
            20 + (i % 100) / 10,
            i,
          ]);
        expect(time > previous).to.equal(true);
        previous = time as bigint;
        rows++;
      }
      readMs = Number(process.hrtime.bigint() - readStarted) / 1e6;
    } finally {
      clearInterval(ticker);
    }
    expect(rows).to.equal(count);
    // Timers ran while rows streamed: the export yielded to the event loop.
    expect(turns).to.be.greaterThan(10);
    console.log(
      `      sqlite: wrote ${count} points in ${writeMs.toFixed(0)} ms (${Math.round(count / (writeMs / 1000))} points/s), ` +
        `read them back in ${readMs.toFixed(0)} ms`,
    );
  });
});

describe('SqliteSink: open files and damaged files', () => {
  let dataDir: string;
  let sink: SqliteSink | undefined;
  const point = (v: number): Point => ({
    measurement: 'sensors',
    tags: {},
    fields: { v },
    time: T0 + BigInt(v),
  });
  const values = async (s: SqliteSink, database: string) =>
    (await collect(await s.query({ database, measurement: 'sensors', from: 0n, to: 2n * T0 }))).map(
      (r) => r[1],
    );

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-sqlite-'));
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function open(maxOpen?: number): Promise<SqliteSink> {
    sink = new SqliteSink({ dataDir, log: silentLog(), maxOpen });
    await sink.start();
    return sink;
  }

  it('keeps at most maxOpen databases open, closing the least recently written', async () => {
    const s = await open(3);
    const fdsBefore = readdirSync('/proc/self/fd').length;
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 10; i++) await s.write(`db${i}`, [point(round * 10 + i)]);
      expect(s.openDatabases).to.equal(3);
    }
    // Three databases of three descriptors each, whichever they are.
    expect(readdirSync('/proc/self/fd').length - fdsBefore).to.be.at.most(9);
    // The most recently written stays open: writing it again opens nothing more.
    await s.write('db9', [point(99)]);
    for (let i = 0; i < 10; i++) {
      expect(await values(s, `db${i}`), `db${i}`).to.deep.equal(i === 9 ? [i, 10 + i, 99] : [i, 10 + i]);
    }
  });

  it('takes a file that is not a database for damage: retryable, corrupt, named in damage() until written again', async () => {
    const s = await open();
    await s.write('good', [point(1)]);
    const file = join(dataDir, 'sqlite', 'bad.sqlite');
    await writeFile(file, Buffer.alloc(8192, 'garbage!'));
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await rejection(s.write('bad', [point(2)]));
      expect(err).to.be.instanceOf(StorageError);
      expect(err.message).to.contain(file).and.to.contain('is corrupt');
      expect((err as StorageError).retryable).to.equal(true);
      expect((err as StorageError).corrupt).to.equal(true);
    }
    expect(s.damage()).to.deep.equal([`database 'bad': ${file} is corrupt (file is not a database)`]);
    const queryErr = await rejection(s.query({ database: 'bad', measurement: 'sensors', from: 0n, to: T0 }));
    expect((queryErr as StorageError).corrupt).to.equal(true);
    // Other databases go on; the bad one is written once the file is replaced.
    await s.write('good', [point(3)]);
    await rm(file);
    await s.write('bad', [point(2)]);
    expect(s.damage()).to.deep.equal([]);
    expect(await values(s, 'bad')).to.deep.equal([2]);
  });

  it('takes a truncated database file for damage, closing its connection', async () => {
    const s = await open();
    const big = Array.from({ length: 20_000 }, (_, i) => ({
      ...point(i),
      fields: { v: i, pad: 'x'.repeat(40) },
    }));
    await s.write('cut', big);
    await s.stop();
    const file = join(dataDir, 'sqlite', 'cut.sqlite');
    await truncate(file, Math.floor((await stat(file)).size / 2));
    const again = await open();
    const err = await rejection(again.write('cut', [point(20_001)]));
    expect((err as StorageError).corrupt, err.message).to.equal(true);
    expect(again.openDatabases).to.equal(0);
    expect(again.damage()).to.have.length(1);
  });

  it('check() names every damaged file and passes good ones', async () => {
    const s = await open();
    expect(await s.check()).to.deep.equal([]);
    await s.write('good', [point(1)]);
    const garbage = join(dataDir, 'sqlite', 'garbage.sqlite');
    await writeFile(garbage, Buffer.alloc(8192, 'garbage!'));
    await s.write(
      'cut',
      Array.from({ length: 20_000 }, (_, i) => ({ ...point(i), fields: { v: i, pad: 'x'.repeat(40) } })),
    );
    await s.stop();
    const cut = join(dataDir, 'sqlite', 'cut.sqlite');
    await truncate(cut, Math.floor((await stat(cut)).size / 2));
    const problems = await new SqliteSink({ dataDir, log: silentLog() }).check();
    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(new RegExp(`^${cut}: corrupt: `));
    expect(problems[1]).to.equal(`${garbage}: corrupt: file is not a database`);
  });
});
