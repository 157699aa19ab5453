import { expect } from 'chai';
import type { Cell, QueryResult, SeriesQuery, Sink } from '../../../lib/acquire/sink/sink.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { Point } from '../../../lib/core/point.js';

/** A point with the given time, tags and fields in measurement `sensors`, unless told otherwise. */
function point(
  time: bigint,
  fields: Point['fields'],
  tags: Point['tags'] = {},
  measurement = 'sensors',
): Point {
  return { measurement, tags, fields, time };
}

/** Every row as `{ time, ...columns }`, so expectations do not depend on the column order a store picks. */
async function read(result: QueryResult): Promise<Record<string, Cell | bigint>[]> {
  const out: Record<string, Cell | bigint>[] = [];
  for await (const [time, ...cells] of result.rows) {
    expect(cells).to.have.length(result.columns.length);
    const row: Record<string, Cell | bigint> = { time };
    result.columns.forEach((name, i) => {
      row[name] = cells[i] ?? null;
    });
    out.push(row);
  }
  return out;
}

// 2020-03-10T03:29:42.123456789Z: more digits than a double can hold.
const T0 = 1583810982123456789n;
const SECOND = 1_000_000_000n;

/**
 * One set of expectations every `Sink` must meet (SQLite, InfluxDB, …).
 * `open` gives a started sink on an empty store; `cleanup` stops it and removes what it made.
 * The suite opens one sink and uses a fresh database per test, so a server-backed sink can be shared.
 * It only checks what InfluxDB 1.6 and the embedded store answer alike: rows are compared as
 * name → value maps (column order is the store's), and no test relies on an empty result's columns.
 */
export function describeSinkContract(
  name: string,
  open: () => Promise<{ sink: Sink; cleanup(): Promise<void> }>,
): void {
  describe(`Sink contract: ${name}`, () => {
    let sink: Sink;
    let cleanup: () => Promise<void>;
    let counter = 0;
    let db: string;

    before(async () => {
      ({ sink, cleanup } = await open());
    });

    after(async () => {
      // `open` may have failed, leaving nothing to clean up.
      await cleanup?.();
    });

    beforeEach(() => {
      counter += 1;
      db = `contract_${process.pid}_${Date.now().toString(36)}_${counter}`;
    });

    function query(extra: Partial<SeriesQuery> = {}): Promise<QueryResult> {
      return sink.query({
        database: db,
        measurement: 'sensors',
        from: T0 - 3600n * SECOND,
        to: T0 + 3600n * SECOND,
        ...extra,
      });
    }

    it('answers ping', async () => {
      expect(await sink.ping()).to.equal(true);
    });

    it('creates the database on first write and reads the points back in the time range, bounds inclusive', async () => {
      expect(await sink.measurements(db)).to.deep.equal([]);
      await sink.write(db, [
        point(T0, { temperature: 21.5 }),
        point(T0 + SECOND, { temperature: 22.5 }),
        point(T0 + 2n * SECOND, { temperature: 23.5 }),
        point(T0 + 3n * SECOND, { temperature: 24.5 }),
      ]);
      const result = await query({ from: T0 + SECOND, to: T0 + 2n * SECOND });
      expect(result.columns).to.deep.equal(['temperature']);
      expect(await read(result)).to.deep.equal([
        { time: T0 + SECOND, temperature: 22.5 },
        { time: T0 + 2n * SECOND, temperature: 23.5 },
      ]);
    });

    it('keeps nanoseconds exact', async () => {
      await sink.write(db, [point(T0, { v: 1 }), point(T0 + 1n, { v: 2 })]);
      const rows = await read(await query({ from: T0, to: T0 }));
      expect(rows).to.deep.equal([{ time: 1583810982123456789n, v: 1 }]);
      const both = await read(await query());
      expect(both.map((row) => row['time'])).to.deep.equal([T0, T0 + 1n]);
    });

    it('keeps field types: float, string, boolean', async () => {
      await sink.write(db, [point(T0, { f: 42, g: 0.1, s: 'hello', b: true, c: false })]);
      const rows = await read(await query());
      expect(rows).to.deep.equal([{ time: T0, f: 42, g: 0.1, s: 'hello', b: true, c: false }]);
      expect(rows[0]!['b']).to.be.a('boolean');
      expect(rows[0]!['s']).to.be.a('string');
      expect(rows[0]!['f']).to.be.a('number');
    });

    it('returns tags as columns and filters on tag values with where', async () => {
      await sink.write(db, [
        point(T0, { weight: 10 }, { gateway: 'gw1', node: 'n1' }),
        point(T0 + SECOND, { weight: 11 }, { gateway: 'gw1', node: 'n2' }),
        point(T0 + 2n * SECOND, { weight: 12 }, { gateway: 'gw2', node: 'n1' }),
      ]);
      const all = await query();
      expect([...all.columns].sort()).to.deep.equal(['gateway', 'node', 'weight']);
      expect(await read(all)).to.deep.equal([
        { time: T0, gateway: 'gw1', node: 'n1', weight: 10 },
        { time: T0 + SECOND, gateway: 'gw1', node: 'n2', weight: 11 },
        { time: T0 + 2n * SECOND, gateway: 'gw2', node: 'n1', weight: 12 },
      ]);
      const n1 = await read(await query({ where: { node: 'n1' } }));
      expect(n1.map((row) => row['weight'])).to.deep.equal([10, 12]);
      const both = await read(await query({ where: { node: 'n1', gateway: 'gw2' } }));
      expect(both).to.deep.equal([{ time: T0 + 2n * SECOND, gateway: 'gw2', node: 'n1', weight: 12 }]);
      expect(await read(await query({ where: { node: 'n9' } }))).to.deep.equal([]);
    });

    it('selects with include and exclude; unknown names are no error', async () => {
      await sink.write(db, [point(T0, { a: 1, b: 2, c: 3 }, { node: 'n1' })]);
      const included = await query({ include: ['a', 'node', 'nonexistent'] });
      expect([...included.columns].sort()).to.deep.equal(['a', 'node']);
      expect(await read(included)).to.deep.equal([{ time: T0, a: 1, node: 'n1' }]);
      const excluded = await query({ exclude: ['b', 'node', 'nonexistent'] });
      expect([...excluded.columns].sort()).to.deep.equal(['a', 'c']);
      expect(await read(excluded)).to.deep.equal([{ time: T0, a: 1, c: 3 }]);
      const both = await query({ include: ['a', 'b'], exclude: ['b'] });
      expect(both.columns).to.deep.equal(['a']);
      expect(await read(both)).to.deep.equal([{ time: T0, a: 1 }]);
    });

    it('gives null for a field a row does not have', async () => {
      await sink.write(db, [point(T0, { a: 1 }), point(T0 + SECOND, { b: 2 })]);
      expect(await read(await query())).to.deep.equal([
        { time: T0, a: 1, b: null },
        { time: T0 + SECOND, a: null, b: 2 },
      ]);
    });

    it('leaves out rows that have none of the selected fields', async () => {
      await sink.write(db, [
        point(T0, { a: 1 }, { node: 'n1' }),
        point(T0 + SECOND, { b: 2 }, { node: 'n1' }),
        point(T0 + 2n * SECOND, { a: 3 }, { node: 'n2' }),
      ]);
      const rows = await read(await query({ include: ['a', 'node'], limit: 5 }));
      expect(rows).to.deep.equal([
        { time: T0, a: 1, node: 'n1' },
        { time: T0 + 2n * SECOND, a: 3, node: 'n2' },
      ]);
    });

    it('stores a bigint as an integer: read back as a number, a float of the same field then conflicts', async () => {
      await sink.write(db, [point(T0, { n: 42n, big: 9007199254740993n, neg: -7n })]);
      const rows = await read(await query());
      // Integers come back as JSON numbers (InfluxDB's answers carry them so): 2^53 + 1 rounds.
      expect(rows).to.deep.equal([{ time: T0, n: 42, big: 9007199254740992, neg: -7 }]);
      let error: unknown;
      try {
        await sink.write(db, [point(T0 + 1n, { n: 1.5 })]);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(StorageError);
      expect((error as StorageError).retryable).to.equal(false);
      expect((error as StorageError).message).to.include('field type conflict');
      await sink.write(db, [point(T0 + 2n, { n: 43n })]);
      expect((await read(await query())).map((row) => row['n'])).to.deep.equal([42, 43]);
    });

    it('rejects a point whose field type conflicts with a non-retryable StorageError, keeping the rest', async () => {
      await sink.write(db, [point(T0, { v: 1.5 })]);
      let error: unknown;
      try {
        await sink.write(db, [
          point(T0 + 1n, { v: 2.5 }),
          point(T0 + 2n, { v: 'text' }),
          point(T0 + 3n, { v: 3.5 }),
        ]);
      } catch (err) {
        error = err;
      }
      expect(error).to.be.instanceOf(StorageError);
      expect((error as StorageError).retryable).to.equal(false);
      expect((error as StorageError).message).to.include('field type conflict');
      // InfluxDB 1.x "partial write": the points that fit are stored.
      expect((await read(await query())).map((row) => row['v'])).to.deep.equal([1.5, 2.5, 3.5]);
    });

    it('orders ascending by default, descending on request, and applies limit', async () => {
      await sink.write(db, [
        point(T0 + 2n * SECOND, { v: 3 }),
        point(T0, { v: 1 }),
        point(T0 + SECOND, { v: 2 }),
      ]);
      const values = async (extra: Partial<SeriesQuery>) =>
        (await read(await query(extra))).map((row) => row['v']);
      expect(await values({})).to.deep.equal([1, 2, 3]);
      expect(await values({ order: 'asc' })).to.deep.equal([1, 2, 3]);
      expect(await values({ order: 'desc' })).to.deep.equal([3, 2, 1]);
      expect(await values({ limit: 2 })).to.deep.equal([1, 2]);
      expect(await values({ order: 'desc', limit: 2 })).to.deep.equal([3, 2]);
    });

    it('keeps one point per measurement, tag set and time: fields merge, new values win', async () => {
      await sink.write(db, [point(T0, { a: 1, b: 2 }, { node: 'n1' })]);
      await sink.write(db, [point(T0, { b: 20, c: 30 }, { node: 'n1' })]);
      // Same time, other tag set: another point.
      await sink.write(db, [point(T0, { a: 5 }, { node: 'n2' })]);
      const rows = await read(await query());
      expect(rows).to.have.length(2);
      expect(rows).to.deep.include({ time: T0, node: 'n1', a: 1, b: 20, c: 30 });
      expect(rows).to.deep.include({ time: T0, node: 'n2', a: 5, b: null, c: null });
    });

    it('is idempotent when the same batch is written again', async () => {
      const batch = [point(T0, { v: 1 }), point(T0 + SECOND, { v: 2 })];
      await sink.write(db, batch);
      await sink.write(db, batch);
      expect(await read(await query())).to.deep.equal([
        { time: T0, v: 1 },
        { time: T0 + SECOND, v: 2 },
      ]);
    });

    it('answers a missing database or measurement with no columns and no rows', async () => {
      const missingDb = await sink.query({
        database: `${db}_missing`,
        measurement: 'sensors',
        from: 0n,
        to: T0 * 2n,
      });
      expect(missingDb.columns).to.deep.equal([]);
      expect(await read(missingDb)).to.deep.equal([]);
      expect(await sink.measurements(`${db}_missing`)).to.deep.equal([]);

      await sink.write(db, [point(T0, { v: 1 })]);
      const missingMeasurement = await query({ measurement: 'nothing_here' });
      expect(missingMeasurement.columns).to.deep.equal([]);
      expect(await read(missingMeasurement)).to.deep.equal([]);
    });

    it('lists the measurements of a database', async () => {
      await sink.write(db, [
        point(T0, { v: 1 }, {}, 'gw1_node1_sensors'),
        point(T0, { v: 2 }, {}, 'gw1_node1_events'),
        point(T0, { v: 3 }, {}, 'gw1_node2_sensors'),
      ]);
      expect((await sink.measurements(db)).sort()).to.deep.equal([
        'gw1_node1_events',
        'gw1_node1_sensors',
        'gw1_node2_sensors',
      ]);
    });

    it('lists its databases in name order, a new one once written, odd names as they are', async () => {
      const odd = `${db}_Grüße 1.x`;
      expect(await sink.databases()).to.not.include(db);
      await sink.write(db, [point(T0, { v: 1 })]);
      await sink.write(odd, [point(T0, { v: 2 })]);
      const listed = await sink.databases();
      expect(listed).to.include.members([db, odd]);
      expect(listed).to.not.include('_internal');
      expect(listed).to.deep.equal([...listed].sort());
    });

    it('stores string values with quotes, backslashes and unicode unchanged', async () => {
      const values = {
        quotes: 'say "hi" it\'s',
        backslashes: 'C:\\temp\\ends with\\',
        unicode: 'Grüße 🐝 日本',
        commas: 'a=1, b=2',
      };
      await sink.write(db, [point(T0, values)]);
      expect(await read(await query())).to.deep.equal([{ time: T0, ...values }]);
    });

    it('accepts field and tag names with comma, equals sign, space and double quote', async () => {
      const fields = { 'a,b': 1, 'c=d': 2, 'e f': 3, 'g"h': 4 };
      const tags = { 'node id': 'n 1,x=y' };
      await sink.write(db, [point(T0, fields, tags)]);
      const result = await query();
      expect([...result.columns].sort()).to.deep.equal(['a,b', 'c=d', 'e f', 'g"h', 'node id']);
      expect(await read(result)).to.deep.equal([{ time: T0, ...fields, ...tags }]);
      const filtered = await read(await query({ where: { 'node id': 'n 1,x=y' }, include: ['g"h'] }));
      expect(filtered).to.deep.equal([{ time: T0, 'g"h': 4 }]);
    });

    it('keeps databases apart', async () => {
      await sink.write(db, [point(T0, { v: 1 })]);
      await sink.write(`${db}_other`, [point(T0, { v: 2 })]);
      expect((await read(await query())).map((row) => row['v'])).to.deep.equal([1]);
      const other = await sink.query({ database: `${db}_other`, measurement: 'sensors', from: T0, to: T0 });
      expect((await read(other)).map((row) => row['v'])).to.deep.equal([2]);
    });
  });
}
