import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { InfluxSettings } from '../../config/settings.js';
import { errorMessage, StorageError } from '../../core/errors.js';
import { answerChunks, type InfluxChunk, type InfluxStatementResult, parseAnswer } from './influxql.js';

/** One request to InfluxDB's v1 HTTP API. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  params?: Record<string, string>;
  body?: Buffer;
  contentType?: string;
}

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

// Chunked answers are not cut at InfluxDB's max-row-limit, and each chunk is one JSON line that can be
// parsed while the rest is still on the wire. 1,000 rows a chunk: the rows of a chunk live until the
// export has written them, and with 10,000 they outlived young-generation GCs and a 1,000,000-row export
// grew daqd's RSS by ~140 MB instead of ~50 MB, at the same speed (bench/README.md, scenario 3).
const CHUNK_SIZE = '1000';
const MAX_ERROR_TEXT = 64 * 1024;

/** InfluxDB's words for a query or write against a database that does not exist. */
export const DATABASE_NOT_FOUND = /database not found/i;

/**
 * The HTTP side of the InfluxDB v1 API (`/ping`, `/query`, `/write`): one keep-alive agent, credentials
 * (token, basic from the settings or from the URL), a timeout per request, one fresh try when a kept-alive
 * connection turns out closed, and streamed `/query` answers. The connection is made on first use.
 */
export class InfluxTransport {
  private client: Client | undefined;
  /** `/query` answers being read; `close()` ends those nobody reads to the end. */
  private readonly streams = new Set<IncomingMessage>();

  constructor(
    private readonly settings: Pick<InfluxSettings, 'url' | 'timeout' | 'token' | 'username' | 'password'>,
  ) {}

  /** The URL for log lines: no credentials. */
  get shown(): string {
    return this.http().shown;
  }

  /** Ends query answers still being read and closes the connections. */
  close(): void {
    for (const res of this.streams) res.destroy();
    this.streams.clear();
    this.client?.agent.destroy();
  }

  /** One request; a failure to get an answer becomes a retryable `StorageError`. */
  async request(what: string, spec: RequestSpec): Promise<IncomingMessage> {
    try {
      return await this.send(spec);
    } catch (err) {
      throw new StorageError(`influxdb '${this.http().shown}': ${what} failed: ${errorMessage(err)}`, true, {
        cause: err,
      });
    }
  }

  /** One request; a failure to get an answer is thrown as it is. */
  async send(spec: RequestSpec): Promise<IncomingMessage> {
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

  /** A chunked `/query` answered 200, to be read with `chunks()`; else a `StorageError`. */
  async openQuery(what: string, database: string | undefined, statement: string): Promise<IncomingMessage> {
    const res = await this.request(what, queryRequest(database, statement, true));
    const status = res.statusCode ?? 0;
    if (status === 200) {
      // Until it is read to the end; `close()` ends answers nobody reads.
      this.streams.add(res);
      return res;
    }
    const text = await errorText(res);
    throw new StorageError(
      `influxdb: ${what} failed (HTTP ${status}): ${text}`,
      status >= 500 || status === 401 || status === 403,
    );
  }

  /** The JSON documents of a /query answer, parsed as they arrive; ends the answer when left early. */
  async *chunks(what: string, res: IncomingMessage): AsyncGenerator<InfluxChunk> {
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

  /** Every statement result of a small query, read to the end. */
  async results(
    what: string,
    database: string | undefined,
    statement: string,
  ): Promise<InfluxStatementResult[]> {
    const res = await this.openQuery(what, database, statement);
    const results: InfluxStatementResult[] = [];
    for await (const chunk of this.chunks(what, res)) {
      if (chunk.error) throw new StorageError(`influxdb: ${what} failed: ${chunk.error}`, false);
      if (chunk.results) results.push(...chunk.results);
    }
    return results;
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
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** A `/query` request: `chunked` for answers read as a stream. */
export function queryRequest(database: string | undefined, statement: string, chunked: boolean): RequestSpec {
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

/** The body of an answer as text, at most `MAX_ERROR_TEXT` characters of it. */
export async function readText(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const piece of res as AsyncIterable<string>) {
    if (text.length < MAX_ERROR_TEXT) text += piece;
  }
  return text;
}

/** InfluxDB's own words for a failed request: `{"error": …}`, else its error header, else the body. */
export async function errorText(res: IncomingMessage): Promise<string> {
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
