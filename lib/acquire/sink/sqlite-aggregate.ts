import type Database from 'better-sqlite3';
import type { FieldValue } from '../../core/point.js';
import { type Aggregation, aggregates, bucketStart } from './aggregation.js';
import type { Cell, SeriesQuery } from './sink.js';

type Row = [bigint, ...Cell[]];

/** What an aggregated query reads: the measurement and the fields the function can aggregate. */
export interface AggregatePlan {
  measurementId: number;
  columns: string[];
}

/** SQL's names of the functions SQLite computes itself; `first` and `last` are picked while scanning. */
const SQL_FUNCTIONS: Readonly<Record<string, string>> = {
  mean: 'avg',
  min: 'min',
  max: 'max',
  sum: 'sum',
  count: 'count',
};

/**
 * The plan of an aggregated query: the selected fields (tags are no columns of an aggregate) whose type
 * the function takes, in name order as `planQuery` lists columns; undefined when the measurement does not
 * exist.
 */
export function planAggregate(
  db: Database.Database,
  q: SeriesQuery,
  agg: Aggregation,
): AggregatePlan | undefined {
  const measurementId = db.prepare('SELECT id FROM measurements WHERE name = ?').pluck().get(q.measurement) as
    | number
    | undefined;
  if (measurementId === undefined) return undefined;
  const types = db
    .prepare('SELECT key, type FROM field_keys WHERE measurement_id = ?')
    .raw()
    .all(measurementId) as [string, string][];
  const include = q.include === undefined ? undefined : new Set(q.include);
  const exclude = new Set(q.exclude ?? []);
  const columns = types
    .filter(
      ([name, type]) =>
        (include === undefined || include.has(name)) && !exclude.has(name) && aggregates(agg.fn, type),
    )
    .map(([name]) => name)
    .sort();
  return { measurementId, columns };
}

/** How an aggregated query runs: its statement's raw rows, and how they become result rows. */
export interface AggregateStatement {
  /** Runs the statement on `db`: its raw rows, in `order`. */
  iterate(db: Database.Database): IterableIterator<unknown[]>;
  /** Turns the raw rows into result rows. */
  rows(raw: Iterable<unknown[]>): Generator<Row>;
  /** True when each raw row is a bucket read by a query of its own (many stored rows each). */
  perBucket: boolean;
}

/**
 * Most buckets a range may have for the SQL aggregates to run one indexed range query per bucket; more
 * (a long range in small buckets) take one `GROUP BY` over the range.
 */
const MAX_BUCKET_QUERIES = 20_000;

/**
 * The statement of an aggregated query. `mean`, `min`, `max`, `sum` and `count` are SQL aggregates over
 * `GROUP BY` the bucket start, computed as `time - ((time % interval) + interval) % interval` (integer
 * arithmetic, floored also before 1970). `first` and `last` need the value of the earliest or latest row
 * that has one per column, which SQL's aggregates do not give: the rows are read in time order and the
 * values picked per bucket here. Buckets where no selected field has a value are left out (InfluxDB's
 * `fill(none)`). `seriesFilter`: a JSON array of series ids to keep (a tag condition), or undefined.
 */
export function aggregateStatement(
  plan: AggregatePlan,
  q: SeriesQuery & { from: bigint; to: bigint },
  agg: Aggregation,
  seriesFilter: string | undefined,
): AggregateStatement {
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const params: Record<string, unknown> = {
    measurement: plan.measurementId,
    from: q.from,
    to: q.to,
    interval: agg.interval,
  };
  const where =
    'WHERE measurement_id = @measurement AND time >= @from AND time <= @to' +
    (seriesFilter === undefined ? '' : ' AND series_id IN (SELECT value FROM json_each(@series))');
  if (seriesFilter !== undefined) params['series'] = seriesFilter;
  const sqlFunction = SQL_FUNCTIONS[agg.fn];
  if (sqlFunction !== undefined) {
    const values = plan.columns.map((name, i) => {
      params[`p${i}`] = jsonPath(name);
      return `json_extract(fields, @p${i}) AS v${i}`;
    });
    const cells = plan.columns.map((_, i) => `${sqlFunction}(v${i})`);
    const rows = (raw: Iterable<unknown[]>) => groupedRows(raw, agg.fn === 'count', q.limit);
    const first = bucketStart(q.from, agg.interval);
    if ((q.to - first) / agg.interval < BigInt(MAX_BUCKET_QUERIES)) {
      // One query per bucket: each an index range scan, no sort of the range's rows (a GROUP BY over a
      // computed bucket sorts every row first; this is about twice as fast over a million rows).
      const sql =
        `SELECT @bucket, ${cells.join(', ')} FROM (SELECT ${values.join(', ')} FROM points ` +
        where.replace('time >= @from AND time <= @to', 'time >= @lo AND time <= @hi') +
        ')';
      const desc = dir === 'DESC';
      const last = bucketStart(q.to, agg.interval);
      return {
        perBucket: true,
        rows,
        iterate: (db) => {
          const statement = db.prepare(sql).raw().safeIntegers(true);
          return (function* () {
            for (
              let b = desc ? last : first;
              desc ? b >= first : b <= last;
              b += desc ? -agg.interval : agg.interval
            ) {
              const lo = b < q.from ? q.from : b;
              const end = b + agg.interval - 1n;
              const hi = end > q.to ? q.to : end;
              yield statement.get({ ...params, bucket: b, lo, hi }) as unknown[];
            }
          })();
        },
      };
    }
    // The values are read out of the JSON in the inner query, so GROUP BY sorts numbers, not the JSON
    // text of every row (twice as fast over a million rows).
    const sql =
      `SELECT bucket, ${cells.join(', ')} FROM (` +
      `SELECT time - (((time % @interval) + @interval) % @interval) AS bucket, ${values.join(', ')} ` +
      `FROM points ${where}) GROUP BY bucket ORDER BY bucket ${dir}`;
    return {
      perBucket: false,
      rows,
      iterate: (db) =>
        db.prepare(sql).raw().safeIntegers(true).iterate(params) as IterableIterator<unknown[]>,
    };
  }
  const sql = `SELECT time, fields FROM points ${where} ORDER BY time ${dir}, series_id ${dir}`;
  // Scanning newest first, the first value met is a bucket's last: keep the first met for `last`.
  const keepFirstMet = (agg.fn === 'first') === (dir === 'ASC');
  return {
    perBucket: false,
    iterate: (db) => db.prepare(sql).raw().safeIntegers(true).iterate(params) as IterableIterator<unknown[]>,
    rows: (raw) =>
      pickedRows(raw as Iterable<[bigint, string]>, plan.columns, agg.interval, keepFirstMet, q.limit),
  };
}

/** `$."name"`: SQLite's JSON path of an object key, quoted as a JSON string (so `.`, `"` and `\` are safe). */
function jsonPath(name: string): string {
  return `$.${JSON.stringify(name)}`;
}

function* groupedRows(raw: Iterable<unknown[]>, isCount: boolean, limit: number | undefined): Generator<Row> {
  let yielded = 0;
  for (const values of raw) {
    const row: Row = [values[0] as bigint];
    let any = false;
    for (let i = 1; i < values.length; i++) {
      const value = cell(values[i]);
      // A count of 0 is a field without values in the bucket: InfluxDB's fill(none) leaves it out.
      const cellValue = isCount && value === 0 ? null : value;
      if (cellValue !== null) any = true;
      row.push(cellValue);
    }
    if (!any) continue;
    yield row;
    if (limit !== undefined && ++yielded >= limit) return;
  }
}

function* pickedRows(
  raw: Iterable<[bigint, string]>,
  columns: readonly string[],
  interval: bigint,
  keepFirstMet: boolean,
  limit: number | undefined,
): Generator<Row> {
  let bucket: bigint | undefined;
  let values: Cell[] = [];
  let yielded = 0;
  const finish = (): Row | undefined =>
    bucket !== undefined && values.some((v) => v !== null) ? [bucket, ...values] : undefined;
  for (const [time, fieldsJson] of raw) {
    const start = bucketStart(time, interval);
    if (start !== bucket) {
      const row = finish();
      if (row !== undefined) {
        yield row;
        if (limit !== undefined && ++yielded >= limit) return;
      }
      bucket = start;
      values = columns.map(() => null);
    }
    const fields = JSON.parse(fieldsJson) as Record<string, FieldValue>;
    for (let i = 0; i < columns.length; i++) {
      const name = columns[i]!;
      if (!Object.hasOwn(fields, name)) continue;
      if (keepFirstMet && values[i] !== null) continue;
      values[i] = cell(fields[name]);
    }
  }
  const row = finish();
  if (row !== undefined) yield row;
}

/** A value of a row read with `safeIntegers`: integers as numbers, as every query answers them. */
function cell(value: unknown): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number(value);
  return value as Cell;
}
