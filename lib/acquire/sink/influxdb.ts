import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { InfluxSettings } from '../../config/settings.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import {
  answerChunks,
  createDatabaseStatement,
  type InfluxChunk,
  type InfluxStatementResult,
  parseAnswer,
  pickColumns,
  rfc3339ToNs,
  type SelectColumn,
  schemaStatement,
  selectStatement,
  statementRows,
} from './influxql.js';
import { pointsToLineProtocol } from './line-protocol.js';
import type { Cell, QueryResult, SeriesQuery, Sink } from './sink.js';

/** What an `InfluxSink` is built from. */
export interface InfluxSinkContext {
  settings: InfluxSettings;
  log: Log;
}

type Row = [bigint, ...Cell[]];

interface Client {
  agent: http.Agent;
  request: typeof http.request;
  base: URL;
  /** Base path without a trailing slash (InfluxDB may sit behind a proxy under a prefix). */
  prefix: string;
  authorization: string | undefined;
  /** The URL for log lines: no credentials. */
  shown: string;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  params?: Record<string, string>;
  body?: Buffer;
  contentType?: string;
}

// Chunked answers are not cut at InfluxDB's max-row-limit, and each chunk is one JSON line that can be
// parsed while the rest is still on the wire. 1,000 rows a chunk: the rows of a chunk live until the
// export has written them, and with 10,000 they outlived young-generation GCs and a 1,000,000-row export
// grew daqd's RSS by ~140 MB instead of ~50 MB, at the same speed (bench/README.md, scenario 3).
const CHUNK_SIZE = '1000';
const MAX_ERROR_TEXT = 64 * 1024;
const DATABASE_NOT_FOUND = /database not found/i;

const NO_ROWS: AsyncIterable<Row> = {
  async *[Symbol.asyncIterator]() {},
};

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
 */
export class InfluxSink implements Sink {
  readonly kind = 'influxdb';
  private readonly settings: InfluxSettings;
  private readonly log: Log;
  private client: Client | undefined;
  /** Databases known to exist (or that we may not create and write to anyway). */
  private readonly databases = new Set<string>();
  private readonly creating = new Map<string, Promise<void>>();
  private readonly warnedCreate = new Set<string>();
  /** Databases whose last write was refused for credentials (logged once until a write succeeds). */
  private readonly refused = new Set<string>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly streams = new Set<IncomingMessage>();
  private stopping: Promise<void> | undefined;

  constructor(context: InfluxSinkContext) {
    this.settings = context.settings;
    this.log = context.log;
  }

  async start(): Promise<void> {
    const answer = await this.pingAnswer();
    const where = this.http().shown;
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
    for (const res of this.streams) res.destroy();
    this.streams.clear();
    this.client?.agent.destroy();
  }

  async ping(): Promise<boolean> {
    return (await this.pingAnswer()).ok;
  }

  private async pingAnswer(): Promise<{ ok: boolean; version?: string; problem?: string }> {
    if (this.stopping) return { ok: false, problem: 'sink stopped' };
    try {
      const res = await this.track(this.send({ method: 'GET', path: '/ping' }));
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
    const { body, precision } = pointsToLineProtocol(points);
    if (body === '') return;
    await this.ensureDatabase(database);
    await this.writeChunk(database, Buffer.from(body), precision, points.length, false);
  }

  private async writeChunk(
    database: string,
    body: Buffer,
    precision: string,
    count: number,
    retried: boolean,
  ): Promise<void> {
    const what = `writing ${count} points to '${database}'`;
    const res = await this.request(what, {
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
      this.databases.delete(database);
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
    if (this.databases.has(database)) return Promise.resolve();
    let pending = this.creating.get(database);
    if (!pending) {
      pending = this.createDatabase(database).finally(() => this.creating.delete(database));
      this.creating.set(database, pending);
    }
    return pending;
  }

  private async createDatabase(database: string): Promise<void> {
    const what = `creating database '${database}'`;
    const res = await this.request(what, queryRequest(undefined, createDatabaseStatement(database), false));
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
    this.databases.add(database);
  }

  query(query: SeriesQuery): Promise<QueryResult> {
    return this.track(this.runQuery(query));
  }

  private async runQuery(q: SeriesQuery): Promise<QueryResult> {
    this.assertOpen(`query of '${q.database}' not run`);
    const schema = await this.schema(q.database, q.measurement);
    if (!schema || schema.fields.length === 0) return { columns: [], rows: NO_ROWS };
    const picked = pickColumns(schema, q.include, q.exclude);
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
    });
    const what = `query of '${q.database}'.'${q.measurement}'`;
    const res = await this.openQuery(what, q.database, statement);
    return { columns, rows: this.rows(what, res, picked.length) };
  }

  async measurements(database: string): Promise<string[]> {
    return this.track(this.listMeasurements(database));
  }

  private async listMeasurements(database: string): Promise<string[]> {
    this.assertOpen(`measurements of '${database}' not listed`);
    const what = `listing measurements of '${database}'`;
    const names: string[] = [];
    for (const result of await this.results(what, database, 'SHOW MEASUREMENTS')) {
      if (result.error) {
        if (DATABASE_NOT_FOUND.test(result.error)) return [];
        throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
      }
      for (const row of statementRows(result)) if (typeof row[0] === 'string') names.push(row[0]);
    }
    return names;
  }

  /** Field and tag keys of a measurement; undefined when the database does not exist. */
  private async schema(
    database: string,
    measurement: string,
  ): Promise<{ fields: string[]; tags: string[] } | undefined> {
    const what = `reading the keys of '${database}'.'${measurement}'`;
    const fields: string[] = [];
    const tags: string[] = [];
    for (const result of await this.results(what, database, schemaStatement(measurement))) {
      if (result.error) {
        if (DATABASE_NOT_FOUND.test(result.error)) return undefined;
        throw new StorageError(`influxdb: ${what} failed: ${result.error}`, false);
      }
      const target = result.statement_id === 1 ? tags : fields;
      for (const row of statementRows(result)) if (typeof row[0] === 'string') target.push(row[0]);
    }
    return { fields, tags };
  }

  /** Every statement result of a small query, read to the end. */
  private async results(what: string, database: string, statement: string): Promise<InfluxStatementResult[]> {
    const res = await this.openQuery(what, database, statement);
    const results: InfluxStatementResult[] = [];
    for await (const chunk of this.chunks(what, res)) {
      if (chunk.error) throw new StorageError(`influxdb: ${what} failed: ${chunk.error}`, false);
      if (chunk.results) results.push(...chunk.results);
    }
    return results;
  }

  private async openQuery(what: string, database: string, statement: string): Promise<IncomingMessage> {
    const res = await this.request(what, queryRequest(database, statement, true));
    const status = res.statusCode ?? 0;
    if (status === 200) {
      // Until it is read to the end; `stop()` ends answers nobody reads.
      this.streams.add(res);
      return res;
    }
    const text = await errorText(res);
    throw new StorageError(
      `influxdb: ${what} failed (HTTP ${status}): ${text}`,
      status >= 500 || status === 401 || status === 403,
    );
  }

  private rows(what: string, res: IncomingMessage, width: number): AsyncIterable<Row> {
    const chunks = this.chunks(what, res);
    return { [Symbol.asyncIterator]: () => new RowReader(chunks, what, width) };
  }

  /** The JSON documents of a /query answer, parsed as they arrive; ends the answer when left early. */
  private async *chunks(what: string, res: IncomingMessage): AsyncGenerator<InfluxChunk> {
    // A slow reader pauses the socket: that is backpressure, not a dead server.
    res.socket?.setTimeout(0);
    try {
      res.setEncoding('utf8');
      yield* answerChunks(res as AsyncIterable<string>, what);
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`influxdb: ${what} interrupted: ${errorMessage(err)}`, true, { cause: err });
    } finally {
      this.streams.delete(res);
      if (!res.complete) res.destroy();
    }
  }

  /** One request; a failure to get an answer becomes a retryable `StorageError`. */
  private async request(what: string, spec: RequestSpec): Promise<IncomingMessage> {
    try {
      return await this.send(spec);
    } catch (err) {
      throw new StorageError(`influxdb '${this.http().shown}': ${what} failed: ${errorMessage(err)}`, true, {
        cause: err,
      });
    }
  }

  private async send(spec: RequestSpec): Promise<IncomingMessage> {
    try {
      return await this.sendOnce(spec);
    } catch (err) {
      // A kept-alive connection the server closed meanwhile fails on first use: one fresh try.
      if (
        (err as { reusedSocket?: boolean }).reusedSocket &&
        (err as NodeJS.ErrnoException).code === 'ECONNRESET'
      ) {
        return this.sendOnce(spec);
      }
      throw err;
    }
  }

  private sendOnce(spec: RequestSpec): Promise<IncomingMessage> {
    const client = this.http();
    let path = client.prefix + spec.path;
    if (spec.params) path += '?' + new URLSearchParams(spec.params).toString();
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (client.authorization) headers['authorization'] = client.authorization;
    if (spec.body) {
      headers['content-type'] = spec.contentType ?? 'application/octet-stream';
      headers['content-length'] = spec.body.length;
    }
    return new Promise((resolve, reject) => {
      const req = client.request(
        {
          protocol: client.base.protocol,
          hostname: client.base.hostname.replace(/^\[|\]$/g, ''),
          port: client.base.port || undefined,
          method: spec.method,
          path,
          headers,
          agent: client.agent,
        },
        resolve,
      );
      req.setTimeout(this.settings.timeout, () => {
        req.destroy(new Error(`no answer within ${this.settings.timeout} ms`));
      });
      req.on('error', (err) => {
        Object.assign(err, { reusedSocket: req.reusedSocket });
        reject(err);
      });
      req.end(spec.body);
    });
  }

  private http(): Client {
    if (this.client) return this.client;
    const base = new URL(this.settings.url);
    const secure = base.protocol === 'https:';
    const { token, username, password } = this.settings;
    let authorization: string | undefined;
    if (token) authorization = `Token ${token}`;
    else if (username !== undefined) authorization = basic(username, password ?? '');
    else if (base.username)
      authorization = basic(decodeURIComponent(base.username), decodeURIComponent(base.password));
    base.username = '';
    base.password = '';
    this.client = {
      agent: secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true }),
      request: secure ? https.request : http.request,
      base,
      prefix: base.pathname.replace(/\/+$/, ''),
      authorization,
      shown: base.href.replace(/\/$/, ''),
    };
    return this.client;
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

/**
 * The rows of a streamed /query answer, one `next()` per row. Rows of a parsed chunk are handed out
 * from it directly (an already settled promise each) instead of through an async generator, which
 * costs several promises and a suspended frame per row: an export of a million rows made as many.
 * Each parsed JSON array becomes the row: time replaced in place, extra columns cut off. An error in a
 * chunk is thrown after the rows before it, as InfluxDB sent them.
 */
class RowReader implements AsyncIterator<Row> {
  private rows: unknown[][] = [];
  private at = 0;
  /** An error found in the current chunk, thrown once the rows before it are taken. */
  private failure: StorageError | undefined;
  private finished = false;

  constructor(
    private readonly chunks: AsyncGenerator<InfluxChunk>,
    private readonly what: string,
    private readonly width: number,
  ) {}

  next(): Promise<IteratorResult<Row>> {
    if (this.at < this.rows.length) {
      try {
        return Promise.resolve({ value: this.take(), done: false });
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return this.nextChunk();
  }

  async return(): Promise<IteratorResult<Row>> {
    this.finished = true;
    this.rows = [];
    await this.chunks.return(undefined);
    return { value: undefined, done: true };
  }

  private take(): Row {
    const row = this.rows[this.at]!;
    // Let the chunk's rows go as they are taken.
    this.rows[this.at++] = EMPTY_ROW;
    row[0] = rfc3339ToNs(row[0] as string);
    if (row.length > this.width + 1) row.length = this.width + 1;
    return row as Row;
  }

  private async nextChunk(): Promise<IteratorResult<Row>> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.finished) return { value: undefined, done: true };
      const next = await this.chunks.next();
      if (next.done) {
        this.finished = true;
        return { value: undefined, done: true };
      }
      this.load(next.value);
      if (this.at < this.rows.length) return { value: this.take(), done: false };
    }
  }

  private load(chunk: InfluxChunk): void {
    this.rows = [];
    this.at = 0;
    if (chunk.error) {
      this.failure = new StorageError(`influxdb: ${this.what} failed: ${chunk.error}`, false);
      return;
    }
    for (const result of chunk.results ?? []) {
      if (result.error) {
        this.failure = new StorageError(`influxdb: ${this.what} failed: ${result.error}`, false);
        return;
      }
      for (const row of statementRows(result)) this.rows.push(row);
    }
  }
}

const EMPTY_ROW: unknown[] = [];

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function queryRequest(database: string | undefined, statement: string, chunked: boolean): RequestSpec {
  const params: Record<string, string> = {};
  if (database !== undefined) params['db'] = database;
  if (chunked) {
    params['chunked'] = 'true';
    params['chunk_size'] = CHUNK_SIZE;
  }
  return {
    method: 'POST',
    path: '/query',
    params,
    body: Buffer.from(new URLSearchParams({ q: statement }).toString()),
    contentType: 'application/x-www-form-urlencoded',
  };
}

async function readText(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const piece of res as AsyncIterable<string>) {
    if (text.length < MAX_ERROR_TEXT) text += piece;
  }
  return text;
}

/** InfluxDB's own words for a failed request: `{"error": …}`, else its error header, else the body. */
async function errorText(res: IncomingMessage): Promise<string> {
  let text: string;
  try {
    text = await readText(res);
  } catch (err) {
    text = errorMessage(err);
  }
  const error = parseAnswer(text)?.error;
  if (typeof error === 'string') return error;
  const header = res.headers['x-influxdb-error'];
  if (typeof header === 'string' && header) return header;
  return text.trim().slice(0, 500) || (res.statusMessage ?? '');
}
