import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Aggregation } from '../../../lib/acquire/sink/aggregation.js';
import { InfluxSink } from '../../../lib/acquire/sink/influxdb.js';
import type { Cell, SeriesQuery, Sink } from '../../../lib/acquire/sink/sink.js';
import { SqliteSink } from '../../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../../lib/core/log.js';
import type { FieldValue, Point } from '../../../lib/core/point.js';
import { type InfluxdProcess, startInfluxd } from '../../support/influxd.js';

const S = 1_000_000_000n;
const MINUTE = 60n * S;
const HOUR = 60n * MINUTE;
// 2026-01-01T00:00:00Z
const T = 1_767_225_600n * S;

type Table = Record<string, Cell | bigint>[];

/**
 * Readings every 10 minutes for 3 hours from two stations, with a float, an integer, a text, a boolean
 * and a sparse field; and a few around 1970 (negative times) to check that buckets are floored.
 */
function dataset(): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < 18; i++) {
    for (const station of ['a', 'b']) {
      const fields: Record<string, FieldValue> = {
        temp: i * 0.5 + (station === 'b' ? 100 : 0),
        n: i + (station === 'b' ? 1000 : 0),
        label: `l${i}${station}`,
        ok: i % 2 === 0,
      };
      if (i % 5 === 0 && station === 'a') fields['rare'] = i * 2.25;
      // Station b a minute later: no two series share a time, so `first` and `last` have one answer.
      const time = T + BigInt(i) * 10n * MINUTE + (station === 'b' ? MINUTE : 0n);
      points.push({ measurement: 'sensors', tags: { station }, fields, time });
    }
  }
  for (const minutes of [-95n, -61n, -59n, -1n, 0n, 30n]) {
    points.push({
      measurement: 'sensors',
      tags: { station: 'a' },
      fields: { temp: Number(minutes), n: 1, label: 'x', ok: true },
      time: minutes * MINUTE,
    });
  }
  return points;
}

/** What every store must answer: the same buckets computed here, row by row, from the points. */
function reference(points: readonly Point[], q: SeriesQuery & { aggregate: Aggregation }): Table {
  const { interval, fn } = q.aggregate;
  const numeric = ['mean', 'min', 'max', 'sum'].includes(fn);
  const buckets = new Map<bigint, Map<string, { time: bigint; value: FieldValue }[]>>();
  const chosen = points
    .filter((p) => p.time >= q.from && p.time <= q.to)
    .filter((p) => Object.entries(q.where ?? {}).every(([k, v]) => p.tags[k] === v));
  // Columns: every field of the measurement the function takes, also those without values in the range.
  const names = new Set<string>();
  for (const p of points) {
    for (const [name, value] of Object.entries(p.fields)) {
      if ((q.include === undefined || q.include.includes(name)) && (!numeric || typeof value === 'number')) {
        names.add(name);
      }
    }
  }
  for (const p of chosen) {
    const start = p.time - (((p.time % interval) + interval) % interval);
    let bucket = buckets.get(start);
    if (bucket === undefined) {
      bucket = new Map();
      buckets.set(start, bucket);
    }
    for (const [name, value] of Object.entries(p.fields)) {
      if (q.include !== undefined && !q.include.includes(name)) continue;
      if (numeric && typeof value !== 'number') continue;
      const list = bucket.get(name) ?? [];
      list.push({ time: p.time, value });
      bucket.set(name, list);
    }
  }
  const rows: Table = [];
  for (const [time, bucket] of [...buckets].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const row: Record<string, Cell | bigint> = { time };
    let any = false;
    for (const name of names) {
      const list = bucket.get(name);
      if (list === undefined) {
        row[name] = null;
        continue;
      }
      any = true;
      const values = list.map((v) => v.value as number);
      const byTime = [...list].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
      row[name] =
        fn === 'mean'
          ? values.reduce((a, b) => a + b, 0) / values.length
          : fn === 'min'
            ? Math.min(...values)
            : fn === 'max'
              ? Math.max(...values)
              : fn === 'sum'
                ? values.reduce((a, b) => a + b, 0)
                : fn === 'count'
                  ? values.length
                  : fn === 'first'
                    ? (byTime[0]!.value as Cell)
                    : (byTime[byTime.length - 1]!.value as Cell);
    }
    if (any) rows.push(row);
  }
  if (q.order === 'desc') rows.reverse();
  return q.limit === undefined ? rows : rows.slice(0, q.limit);
}

async function read(sink: Sink, q: SeriesQuery): Promise<Table> {
  const result = await sink.query(q);
  const rows: Table = [];
  for await (const [time, ...cells] of result.rows) {
    const row: Record<string, Cell | bigint> = { time };
    result.columns.forEach((name, i) => {
      row[name] = cells[i] ?? null;
    });
    rows.push(row);
  }
  return rows;
}

describe('aggregated queries: InfluxDB and SQLite answer alike', function () {
  this.timeout(60_000);
  let influxd: InfluxdProcess;
  let influx: InfluxSink;
  let sqlite: SqliteSink;
  let dataDir: string;
  const points = dataset();
  const database = `agg_${process.pid}`;

  before(async () => {
    influxd = await startInfluxd();
    influx = new InfluxSink({
      settings: { url: influxd.url, flush_interval: 250, timeout: 5000 },
      log: silentLog(),
    });
    await influx.start();
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-agg-'));
    sqlite = new SqliteSink({ dataDir, log: silentLog() });
    await sqlite.start();
    await influx.write(database, points);
    await sqlite.write(database, points);
  });

  after(async () => {
    await sqlite?.stop();
    await influx?.stop();
    await influxd?.stop();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const base = { measurement: 'sensors', from: T, to: T + 3n * HOUR };
  const cases: [string, Omit<SeriesQuery, 'database'> & { aggregate: Aggregation }][] = [];
  for (const fn of ['mean', 'min', 'max', 'sum', 'count', 'first', 'last'] as const) {
    cases.push([`${fn} per hour`, { ...base, aggregate: { interval: HOUR, fn } }]);
    cases.push([
      `${fn} per 25 minutes, newest first`,
      { ...base, order: 'desc', aggregate: { interval: 25n * MINUTE, fn } },
    ]);
  }
  cases.push([
    'a range starting inside a bucket',
    { ...base, from: T + 25n * MINUTE, aggregate: { interval: HOUR, fn: 'mean' } },
  ]);
  cases.push([
    'limit counts buckets',
    { ...base, limit: 2, aggregate: { interval: 30n * MINUTE, fn: 'max' } },
  ]);
  cases.push([
    'limit, newest first',
    { ...base, limit: 2, order: 'desc', aggregate: { interval: 30n * MINUTE, fn: 'last' } },
  ]);
  cases.push([
    'a tag condition',
    { ...base, where: { station: 'b' }, aggregate: { interval: HOUR, fn: 'mean' } },
  ]);
  cases.push([
    'a sparse field only',
    { ...base, include: ['rare'], aggregate: { interval: 20n * MINUTE, fn: 'count' } },
  ]);
  cases.push([
    'a sparse field, first',
    { ...base, include: ['rare', 'label'], aggregate: { interval: 20n * MINUTE, fn: 'first' } },
  ]);
  // Millions of buckets in the range: one GROUP BY instead of a query per bucket.
  for (const fn of ['mean', 'count', 'max'] as const) {
    cases.push([`${fn} in 100 ms buckets (GROUP BY)`, { ...base, aggregate: { interval: S / 10n, fn } }]);
  }
  cases.push([
    'the whole time range, newest first, limited (GROUP BY)',
    {
      measurement: 'sensors',
      from: -(2n ** 62n),
      to: 2n ** 62n,
      order: 'desc',
      limit: 3,
      aggregate: { interval: HOUR, fn: 'sum' },
    },
  ]);
  cases.push([
    'before 1970: buckets floored',
    { measurement: 'sensors', from: -2n * HOUR, to: HOUR, aggregate: { interval: HOUR, fn: 'sum' } },
  ]);
  cases.push([
    'before 1970: first',
    { measurement: 'sensors', from: -2n * HOUR, to: HOUR, aggregate: { interval: HOUR, fn: 'first' } },
  ]);

  for (const [title, q] of cases) {
    it(title, async () => {
      const query = { ...q, database };
      const expected = reference(points, query);
      expect(expected.length, 'the case has buckets').to.be.greaterThan(0);
      const fromSqlite = await read(sqlite, query);
      const fromInflux = await read(influx, query);
      expect(fromSqlite, 'sqlite').to.deep.equal(expected);
      expect(fromInflux, 'influxdb').to.deep.equal(expected);
    });
  }

  it('numeric functions leave out text and boolean fields; tags are no columns', async () => {
    for (const sink of [sqlite, influx]) {
      const mean = await sink.query({ ...base, database, aggregate: { interval: HOUR, fn: 'mean' } });
      expect([...mean.columns].sort()).to.deep.equal(['n', 'rare', 'temp']);
      for await (const _ of mean.rows) break;
      const last = await sink.query({ ...base, database, aggregate: { interval: HOUR, fn: 'last' } });
      expect([...last.columns].sort()).to.deep.equal(['label', 'n', 'ok', 'rare', 'temp']);
      for await (const _ of last.rows) break;
    }
  });

  it('both stores list their databases (the web view finds realms and networks by them)', async () => {
    for (const sink of [sqlite, influx]) {
      const names = await sink.databases();
      expect(names).to.include(database);
      expect(names).not.to.include('_internal');
    }
  });

  it('a measurement that does not exist has no rows', async () => {
    for (const sink of [sqlite, influx]) {
      const rows = await read(sink, {
        ...base,
        database,
        measurement: 'nothing',
        aggregate: { interval: HOUR, fn: 'mean' },
      });
      expect(rows).to.deep.equal([]);
    }
  });
});
