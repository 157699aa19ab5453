import { existsSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { StorageError } from '../../core/errors.js';
import type { FieldValue } from '../../core/point.js';
import type { Cell, QueryResult, SeriesQuery } from './sink.js';
import { type AggregatePlan, aggregateStatement, planAggregate } from './sqlite-aggregate.js';
import type { SqliteDamage } from './sqlite-damage.js';
import { planQuery, type RowPlan } from './sqlite-query-plan.js';
import { INT64_MAX, INT64_MIN } from './sqlite-writer.js';

type Db = Database.Database;
type Row = [bigint, ...Cell[]];

/** Rows between two turns of the event loop while a query streams. */
const ROWS_PER_TURN = 2048;

/**
 * The read side of the embedded store. Queries run on a connection of their own (a consistent snapshot;
 * writes go on meanwhile) and yield to the event loop every few thousand rows, so a long export does not
 * stall other requests. `stop()` ends the queries still open.
 */
export class SqliteReader {
  private readonly file: (database: string) => string;
  private readonly damage: SqliteDamage;
  private readonly running: () => boolean;
  private readonly cursors = new Set<Cursor>();

  constructor(ctx: { file: (database: string) => string; damage: SqliteDamage; running: () => boolean }) {
    this.file = ctx.file;
    this.damage = ctx.damage;
    this.running = ctx.running;
  }

  /** Ends every open query. */
  stop(): void {
    for (const cursor of this.cursors) cursor.close();
    this.cursors.clear();
  }

  /** The columns of a query and its rows, streamed when read. */
  query(q: SeriesQuery): QueryResult {
    const db = this.openExisting(q.database);
    if (db === undefined) return { columns: [], rows: noRows() };
    if (q.aggregate !== undefined) return this.aggregated(db, q);
    let plan: RowPlan | undefined;
    try {
      plan = planQuery(db, q);
    } catch (err) {
      throw this.damage.failure(q.database, err, 'query failed');
    } finally {
      db.close();
    }
    if (plan === undefined) return { columns: [], rows: noRows() };
    return { columns: plan.columns, rows: this.rows(q, plan) };
  }

  /** An aggregated query (see `aggregateStatement`): its columns, and its rows streamed when read. */
  private aggregated(db: Db, q: SeriesQuery): QueryResult {
    const agg = q.aggregate!;
    let plan: AggregatePlan | undefined;
    try {
      plan = planAggregate(db, q, agg);
    } catch (err) {
      throw this.damage.failure(q.database, err, 'query failed');
    } finally {
      db.close();
    }
    if (plan === undefined || plan.columns.length === 0)
      return { columns: plan?.columns ?? [], rows: noRows() };
    return { columns: plan.columns, rows: this.aggregatedRows(q, plan) };
  }

  private async *aggregatedRows(q: SeriesQuery, plan: AggregatePlan): AsyncGenerator<Row> {
    if (q.from > q.to || q.limit === 0) return;
    if (!this.running()) throw new StorageError('sqlite: sink is not running', true);
    const db = this.openExisting(q.database);
    if (db === undefined) return;
    let cursor: Cursor | undefined;
    try {
      let seriesFilter: string | undefined;
      if (q.where !== undefined) {
        const wanted = matchingSeries(db, plan.measurementId, q.where);
        if (wanted.length === 0) return;
        seriesFilter = JSON.stringify(wanted);
      }
      const range = { ...q, from: clampInt64(q.from), to: clampInt64(q.to) };
      const statement = aggregateStatement(plan, range, q.aggregate!, seriesFilter);
      const iterator = statement.iterate(db);
      cursor = new Cursor(db, iterator as IterableIterator<[bigint, bigint, string]>);
      this.cursors.add(cursor);
      const open = cursor;
      // Rows the statement reads, counted to yield to the event loop now and then (see ROWS_PER_TURN).
      let scanned = 0;
      const raw = (function* () {
        for (;;) {
          if (open.closed) throw new StorageError('sqlite: query ended because the sink stopped', true);
          const next = (open.iterator as IterableIterator<unknown[]>).next();
          if (next.done === true) return;
          scanned++;
          yield next.value;
        }
      })();
      let turned = 0;
      // A bucket read by a query of its own stands for many stored rows.
      const perTurn = statement.perBucket ? ROWS_PER_TURN / 32 : ROWS_PER_TURN;
      for (const row of statement.rows(raw)) {
        yield row;
        if (scanned - turned >= perTurn) {
          turned = scanned;
          await nextTurn();
        }
      }
    } catch (err) {
      throw this.damage.failure(q.database, err, 'query failed');
    } finally {
      if (cursor === undefined) db.close();
      else {
        cursor.close();
        this.cursors.delete(cursor);
      }
    }
  }

  /** The measurements of a database that have series, in name order. */
  measurements(database: string): string[] {
    const db = this.openExisting(database);
    if (db === undefined) return [];
    try {
      const sql =
        'SELECT name FROM measurements m WHERE EXISTS (SELECT 1 FROM series WHERE measurement_id = m.id)';
      return (db.prepare(sql).pluck().all() as string[]).sort();
    } catch (err) {
      throw this.damage.failure(database, err, 'listing measurements failed');
    } finally {
      db.close();
    }
  }

  /** The field keys of a measurement; none when it or its database does not exist. */
  fieldKeys(database: string, measurement: string): string[] {
    const db = this.openExisting(database);
    if (db === undefined) return [];
    try {
      const sql =
        'SELECT f.key FROM field_keys f JOIN measurements m ON m.id = f.measurement_id WHERE m.name = ?';
      return db.prepare(sql).pluck().all(measurement) as string[];
    } catch (err) {
      throw this.damage.failure(database, err, 'listing field keys failed');
    } finally {
      db.close();
    }
  }

  /** A fresh read connection, or undefined when the database has never been written. */
  private openExisting(database: string): Db | undefined {
    const file = this.file(database);
    if (!existsSync(file)) return undefined;
    try {
      const db = new Database(file, { fileMustExist: true });
      db.pragma('query_only = 1');
      db.pragma('busy_timeout = 5000');
      // Another process (a running daqd) may have created the file but not yet its schema.
      if ((db.pragma('user_version', { simple: true }) as number) === 0) {
        db.close();
        return undefined;
      }
      return db;
    } catch (err) {
      throw this.damage.failure(database, err, 'cannot open');
    }
  }

  /**
   * Streams the rows of a planned query on a connection of its own, opened at the first `next()`:
   * a result that is never read holds nothing open.
   */
  private async *rows(q: SeriesQuery, plan: RowPlan): AsyncGenerator<Row> {
    if (q.from > q.to || q.limit === 0) return;
    if (!this.running()) throw new StorageError('sqlite: sink is not running', true);
    const db = this.openExisting(q.database);
    if (db === undefined) return;
    let cursor: Cursor | undefined;
    try {
      const seriesTags = new Map<number, Record<string, string>>();
      const wanted: number[] = [];
      const series = db
        .prepare('SELECT id, tags FROM series WHERE measurement_id = ?')
        .raw()
        .all(plan.measurementId);
      for (const [id, tags] of series as [number, string][]) {
        const parsed = JSON.parse(tags) as Record<string, string>;
        seriesTags.set(id, parsed);
        if (q.where !== undefined && matchesWhere(parsed, q.where)) wanted.push(id);
      }
      if (q.where !== undefined && wanted.length === 0) return;

      const dir = q.order === 'desc' ? 'DESC' : 'ASC';
      const sqlLimit = q.limit !== undefined && !plan.dropEmpty;
      const sql =
        'SELECT time, series_id, fields FROM points WHERE measurement_id = ? AND time >= ? AND time <= ?' +
        (q.where === undefined ? '' : ' AND series_id IN (SELECT value FROM json_each(?))') +
        ` ORDER BY time ${dir}, series_id ${dir}` +
        (sqlLimit ? ' LIMIT ?' : '');
      const params: unknown[] = [plan.measurementId, clampInt64(q.from), clampInt64(q.to)];
      if (q.where !== undefined) params.push(JSON.stringify(wanted));
      if (sqlLimit) params.push(q.limit);
      const iterator = db
        .prepare(sql)
        .raw()
        .safeIntegers(true)
        .iterate(...params) as IterableIterator<[bigint, bigint, string]>;
      cursor = new Cursor(db, iterator);
      this.cursors.add(cursor);

      const { columns, isField } = plan;
      let scanned = 0;
      let yielded = 0;
      while (true) {
        if (cursor.closed) throw new StorageError('sqlite: query ended because the sink stopped', true);
        const next = cursor.iterator.next();
        if (next.done === true) return;
        const [time, seriesId, fieldsJson] = next.value;
        const fields = JSON.parse(fieldsJson) as Record<string, FieldValue>;
        const tags = seriesTags.get(Number(seriesId)) ?? {};
        const row: Row = [time];
        let hasField = false;
        for (let i = 0; i < columns.length; i++) {
          const name = columns[i]!;
          // hasOwn: a key such as `constructor` must not find Object.prototype.
          const source: Record<string, FieldValue> = isField[i] ? fields : tags;
          const value = Object.hasOwn(source, name) ? source[name]! : null;
          if (isField[i] && value !== null) hasField = true;
          row.push(value);
        }
        if (!plan.dropEmpty || hasField) {
          yield row;
          yielded++;
          if (q.limit !== undefined && yielded >= q.limit) return;
        }
        if (++scanned % ROWS_PER_TURN === 0) await nextTurn();
      }
    } catch (err) {
      throw this.damage.failure(q.database, err, 'query failed');
    } finally {
      if (cursor === undefined) db.close();
      else {
        cursor.close();
        this.cursors.delete(cursor);
      }
    }
  }
}

/** An open query: its connection and statement iterator, closed when the rows end or the sink stops. */
class Cursor {
  closed = false;
  constructor(
    private readonly db: Db,
    readonly iterator: IterableIterator<[bigint, bigint, string]>,
  ) {}

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // The statement must be finished before its connection can close.
    this.iterator.return?.();
    this.db.close();
  }
}

async function* noRows(): AsyncGenerator<Row> {}

/** The ids of a measurement's series whose tags match `where`. */
function matchingSeries(db: Db, measurementId: number, where: Readonly<Record<string, string>>): number[] {
  const series = db.prepare('SELECT id, tags FROM series WHERE measurement_id = ?').raw().all(measurementId);
  const wanted: number[] = [];
  for (const [id, tags] of series as [number, string][]) {
    if (matchesWhere(JSON.parse(tags) as Record<string, string>, where)) wanted.push(id);
  }
  return wanted;
}

function matchesWhere(tags: Record<string, string>, where: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(where)) {
    // InfluxDB: a series without the tag has the empty value.
    const actual = Object.hasOwn(tags, key) ? tags[key] : '';
    if (actual !== value) return false;
  }
  return true;
}

function clampInt64(value: bigint): bigint {
  return value < INT64_MIN ? INT64_MIN : value > INT64_MAX ? INT64_MAX : value;
}
