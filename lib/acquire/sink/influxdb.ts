import type { InfluxSettings } from '../../config/settings.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import { aggregates } from './aggregation.js';
import { answerRows, firstRows, NO_ROWS } from './influxdb-rows.js';
import { readDatabases, readMeasurementKeys, readMeasurements } from './influxdb-schema.js';
import {
  DATABASE_NOT_FOUND,
  errorText,
  InfluxTransport,
  queryRequest,
  readText,
} from './influxdb-transport.js';
import {
  createDatabaseStatement,
  parseAnswer,
  pickColumns,
  type SelectColumn,
  selectStatement,
} from './influxql.js';
import { pointsToLineProtocolBytes } from './line-protocol.js';
import type { QueryResult, SeriesQuery, Sink } from './sink.js';

/** What an `InfluxSink` is built from. */
export interface InfluxSinkContext {
  settings: InfluxSettings;
  log: Log;
}

/**
 * Sink over the InfluxDB v1 HTTP API (`/ping`, `/query`, `/write`), also spoken by InfluxDB 2/3
 * through their v1 compatibility endpoints (token auth).
 * - A write goes out as line protocol in one request (the batcher bounds its size); databases are
 *   created on first use. Errors are `StorageError`: connection failures, timeouts, 5xx and refused credentials
 *   are retryable; a rejected body (HTTP 400, e.g. a field type conflict) is not.
 * - Queries are streamed: rows are parsed from the HTTP answer chunk by chunk, so a million rows take
 *   constant memory.
 * - `stop()` waits for requests in flight, then ends query answers still being read and closes the
 *   connections.
 *
 * The HTTP side is `InfluxTransport` (influxdb-transport.ts), reading the keys of a measurement is
 * influxdb-schema.ts, turning a streamed answer into rows is influxdb-rows.ts.
 */
export class InfluxSink implements Sink {
  readonly kind = 'influxdb';
  private readonly settings: InfluxSettings;
  private readonly log: Log;
  private readonly transport: InfluxTransport;
  /** Databases known to exist (or that we may not create and write to anyway). */
  private readonly created = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly warnedCreate = new Set<string>();
  /** Databases whose last write was refused for credentials (logged once until a write succeeds). */
  private readonly refused = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private stopping: Promise<void> | undefined;

  constructor(context: InfluxSinkContext) {
    this.settings = context.settings;
    this.log = context.log;
    this.transport = new InfluxTransport(context.settings);
  }

  async start(): Promise<void> {
    const answer = await this.pingAnswer();
    const where = this.transport.shown;
    if (answer.ok) this.log.info(`influxdb '${where}' answers (version ${answer.version ?? 'unknown'})`);
    else
      this.log.warning(
        `influxdb '${where}' does not answer /ping (${answer.problem}); writes will be retried`,
      );
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    this.transport.close();
  }

  async ping(): Promise<boolean> {
    return (await this.pingAnswer()).ok;
  }

  private async pingAnswer(): Promise<{ ok: boolean; version?: string; problem?: string }> {
    if (this.stopping) return { ok: false, problem: 'sink stopped' };
    try {
      const res = await this.track(this.transport.send({ method: 'GET', path: '/ping' }));
      res.resume();
      const version = res.headers['x-influxdb-version'];
      if (res.statusCode === 204)
        return { ok: true, version: typeof version === 'string' ? version : undefined };
      return { ok: false, problem: `HTTP ${res.statusCode}` };
    } catch (err) {
      return { ok: false, problem: errorMessage(err) };
    }
  }

  write(database: string, points: readonly Point[]): Promise<void> {
    return this.track(this.writeAll(database, points));
  }

  private async writeAll(database: string, points: readonly Point[]): Promise<void> {
    this.assertOpen(`${points.length} points for '${database}' not written`);
    // One request per write: how many points a write carries is the batcher's decision ([storage] batch_size).
    const { body, precision } = pointsToLineProtocolBytes(points);
    if (body.length === 0) return;
    await this.ensureDatabase(database);
    await this.writeChunk(database, body, precision, points.length, false);
  }

  private async writeChunk(
    database: string,
    body: Buffer,
    precision: string,
    count: number,
    retried: boolean,
  ): Promise<void> {
    const what = `writing ${count} points to '${database}'`;
    const res = await this.transport.request(what, {
      method: 'POST',
      path: '/write',
      params: { db: database, precision },
      body,
      contentType: 'text/plain; charset=utf-8',
    });
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) {
      res.resume();
      if (this.refused.delete(database)) this.log.notice(`influxdb: writing to '${database}' works again`);
      return;
    }
    const text = await errorText(res);
    if (status === 404 && DATABASE_NOT_FOUND.test(text)) {
      this.created.delete(database);
      if (!retried) {
        await this.ensureDatabase(database);
        return this.writeChunk(database, body, precision, count, true);
      }
      throw new StorageError(`influxdb: ${what}: database does not exist and could not be created`, true);
    }
    if (status === 401 || status === 403) {
      // Credentials can be fixed by the operator: the data is kept for a retry, not dropped.
      if (!this.refused.has(database)) {
        this.refused.add(database);
        this.log.error(
          `influxdb: ${what} refused (HTTP ${status}: ${text}); check [influxdb] username/password/token`,
        );
      }
      throw new StorageError(`influxdb: ${what} refused (HTTP ${status}): ${text}`, true);
    }
    throw new StorageError(`influxdb: ${what} failed (HTTP ${status}): ${text}`, status >= 500);
  }

  private ensureDatabase(database: string): Promise<void> {
    if (this.created.has(database)) return Promise.resolve();
    let pending = this.creating.get(database);
    if (!pending) {
      pending = this.createDatabase(database).finally(() => this.creating.delete(database));
      this.creating.set(database, pending);
    }
    return pending;
  }

  private async createDatabase(database: string): Promise<void> {
    const what = `creating database '${database}'`;
    const res = await this.transport.request(
      what,
      queryRequest(undefined, createDatabaseStatement(database), false),
    );
    const status = res.statusCode ?? 0;
    let problem: string | undefined;
    if (status === 200) {
      const answer = await readText(res);
      problem = parseAnswer(answer)?.results?.find((r) => r.error)?.error;
    } else {
      problem = `HTTP ${status}: ${await errorText(res)}`;
      if (status >= 500) throw new StorageError(`influxdb: ${what} failed (${problem})`, true);
    }
    if (problem !== undefined && !this.warnedCreate.has(database)) {
      // A user with write grants but no admin right cannot create databases: the database may well
      // exist already, so the write goes ahead and reports what is really wrong.
      this.warnedCreate.add(database);
      this.log.warning(`influxdb: cannot create database '${database}' (${problem}); writing anyway`);
    }
    this.created.add(database);
  }

  query(query: SeriesQuery): Promise<QueryResult> {
    return this.track(this.runQuery(query));
  }

  private async runQuery(q: SeriesQuery): Promise<QueryResult> {
    this.assertOpen(`query of '${q.database}' not run`);
    const schema = await readMeasurementKeys(this.transport, q.database, q.measurement);
    if (!schema || schema.fields.length === 0) return { columns: [], rows: NO_ROWS };
    const aggregate = q.aggregate;
    const picked = pickColumns(schema, q.include, q.exclude).filter(
      (c) =>
        aggregate === undefined ||
        (c.kind === 'field' && aggregates(aggregate.fn, schema.fieldTypes.get(c.name))),
    );
    const columns = picked.map((c) => c.name);
    const limit = q.limit === undefined ? undefined : Math.floor(q.limit);
    if (picked.length === 0 || q.from > q.to || (limit !== undefined && !(limit > 0))) {
      return { columns, rows: NO_ROWS };
    }
    // InfluxDB answers nothing for a SELECT of tags only: the fields are selected too and cut off.
    const select = picked.some((c) => c.kind === 'field')
      ? picked
      : [...picked, ...schema.fields.map((name): SelectColumn => ({ name, kind: 'field' }))];
    const statement = selectStatement({
      measurement: q.measurement,
      columns: select,
      from: q.from,
      to: q.to,
      where: q.where,
      order: q.order ?? 'asc',
      limit,
      aggregate,
    });
    const what = `query of '${q.database}'.'${q.measurement}'`;
    const res = await this.transport.openQuery(what, q.database, statement);
    const rows = answerRows(this.transport.chunks(what, res), what, picked.length);
    // With several aggregates, InfluxQL's LIMIT counts buckets per field: the answer holds the first
    // `limit` buckets of each field, a superset of the first `limit` buckets, which are cut here.
    return { columns, rows: aggregate && limit !== undefined ? firstRows(rows, limit) : rows };
  }

  async measurements(database: string): Promise<string[]> {
    return this.track(this.listMeasurements(database));
  }

  private async listMeasurements(database: string): Promise<string[]> {
    this.assertOpen(`measurements of '${database}' not listed`);
    return readMeasurements(this.transport, database);
  }

  async databases(): Promise<string[]> {
    this.assertOpen('databases not listed');
    return this.track(readDatabases(this.transport));
  }

  async fieldKeys(database: string, measurement: string): Promise<string[]> {
    this.assertOpen(`field keys of '${database}' not listed`);
    const keys = await this.track(readMeasurementKeys(this.transport, database, measurement));
    return keys?.fields ?? [];
  }

  private assertOpen(what: string): void {
    if (this.stopping) throw new StorageError(`influxdb: sink stopped; ${what}`, true);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    const settle = () => this.inFlight.delete(promise);
    promise.then(settle, settle);
    return promise;
  }
}
