import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { redactPasskey } from '../acquire/decode/ecowitt-passkey.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { Settings } from '../config/settings.js';
import {
  DaqdError,
  DecodeError,
  errorMessage,
  LimitError,
  NotFoundError,
  QueryError,
  StorageError,
} from '../core/errors.js';
import { instanceDir } from '../core/instance-dir.js';
import type { Log } from '../core/log.js';
import { LogSummary } from '../core/log-summary.js';
import type { Metrics, RealmCounters } from '../core/metrics.js';
import { type ApiState, apiRouter } from './api.js';
import { type AccessState, HttpAccess } from './auth/http-access.js';
import { discardRest } from './body.js';
import { DEFAULT_BODY_TIMEOUT_S } from './body-idle.js';
import { corsMiddleware } from './cors.js';
import { CsvHeaderStore } from './csv-header-store.js';
import { HttpError } from './http-error.js';
import { influxWriteRouter } from './influx-write.js';
import type { IngestChannel } from './ingest.js';
import { isemsRootRouter } from './isems-root.js';
import { type PollChannel, pollRouter } from './poll-route.js';
import { TlsFiles } from './tls-files.js';

/** What /health reports; computed on request. */
export type HealthReport = () => Promise<{ ok: boolean } & Record<string, unknown>>;

/** A realm's channel as the HTTP server sees it: the way in for ingest, the counters for /metrics. */
export type HttpChannel = IngestChannel & RealmCounters & PollChannel;

/**
 * What the HTTP server is built from. HTTP listens before storage and channels exist, so those are read
 * through accessors when a request comes; until `ready()` the API answers 503.
 */
export interface HttpServerContext {
  listen: string;
  port: number;
  log: Log;
  health: HealthReport;
  /**
   * `[http] max_body_size`, `access_file`, `cert_file`/`key_file`, `cors_origins`; `[daqd] data_dir` and
   * `instance_id` (CSV headers), `timezone`, `shutdown_timeout`.
   */
  settings: {
    http: Pick<
      Settings['http'],
      'max_body_size' | 'access_file' | 'cert_file' | 'key_file' | 'cors_origins'
    > &
      Partial<Pick<Settings['http'], 'body_timeout'>>;
    daqd: Pick<Settings['daqd'], 'data_dir' | 'instance_id' | 'timezone' | 'shutdown_timeout'>;
  };
  /** True once storage and the realms' channels are up. */
  ready: () => boolean;
  /** The running channel of a realm. */
  channel: (realm: string) => HttpChannel | undefined;
  /** Every running channel (InfluxDB's write API finds the realm of a database among them). */
  channels?: (() => readonly HttpChannel[]) | undefined;
  /** For a realm restarting for a changed app: settles with its new channel once it is back. */
  restarting?: ((realm: string) => Promise<HttpChannel | undefined> | undefined) | undefined;
  sink: () => Sink | undefined;
  /** The daemon's metrics: the server counts requests and HTTP ingests there, and serves them on /metrics. */
  metrics: Metrics;
  /** Routers mounted after the built-in routes. */
  routers?: readonly Router[];
}

interface ErrorAnswer {
  status: number;
  body: { type: 'error'; message: string };
  headers: Readonly<Record<string, string>>;
}

/** `[http] body_timeout` in ms (seconds in the file). */
function bodyTimeoutMs(http: { body_timeout?: number | undefined }): number {
  return (http.body_timeout ?? DEFAULT_BODY_TIMEOUT_S) * 1000;
}

/** Maps an error to a status and a JSON body; 5xx never echo internals. */
function errorResponse(err: unknown): ErrorAnswer {
  const answer = (status: number, message: string, headers: Readonly<Record<string, string>> = {}) => ({
    status,
    body: { type: 'error' as const, message: redactPasskey(message) },
    headers,
  });
  if (err instanceof HttpError) return answer(err.status, err.message, err.headers);
  if (err instanceof LimitError) return answer(err.status, err.message);
  if (err instanceof QueryError || err instanceof DecodeError) return answer(400, err.message);
  if (err instanceof NotFoundError) return answer(404, err.message);
  // Damage waits for an operator, not for the client to try again.
  if (err instanceof StorageError && err.corrupt) {
    return answer(500, 'the store is damaged; see /health and the daqd log');
  }
  if (err instanceof StorageError && err.retryable) {
    return answer(503, 'storage is unavailable; try again later', { 'Retry-After': '10' });
  }
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) return answer(status, errorMessage(err));
  return answer(500, 'internal error; see the daqd log');
}

/**
 * daqd's HTTP server (Koa): `/health`, `/metrics` (Prometheus, the daemon's `Metrics`), and the API
 * (`/api/<realm>/…`: ingest, export, latest; see `apiRouter`), the ISEMS data collector's root routes
 * (`/measurements/…`, `isemsRootRouter`); CORS for all of them (`[http] cors_origins`). One error middleware maps errors to status
 * + JSON `{"type": "error", "message": …}`; unknown paths get 404 (not Kotori's 405).
 * `start()` awaits `listen()` so an address in use fails the start.
 */
export class HttpServer {
  private server: Server | undefined;
  /** 5xx answers: the first of a kind is logged, repeats are counted (start-up 503s, a store that is down). */
  private failures: LogSummary | undefined;
  private access: HttpAccess | undefined;
  private tls: TlsFiles | undefined;
  private mounted: readonly Router[] = [];

  constructor(private readonly ctx: HttpServerContext) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.ctx.port;
  }

  async start(): Promise<void> {
    const { log, settings, metrics } = this.ctx;
    this.failures = new LogSummary({ log });
    const access = new HttpAccess({ file: settings.http.access_file, log });
    await access.load();
    this.access = access;
    this.tls = new TlsFiles({ ...settings.http, log });
    const app = new Koa();
    app.on('error', () => {});
    app.use(async (koa, next) => {
      try {
        await next();
        if (koa.status === 404 && koa.body === undefined) {
          throw new NotFoundError(`no such resource: ${koa.method} ${koa.path}`);
        }
      } catch (err) {
        const { status, body, headers } = errorResponse(err);
        if (status >= 500) {
          const route = (koa.state as ApiState).route ?? 'other';
          this.failures?.report(
            `${status} ${route}`,
            'error',
            `http: ${koa.method} ${koa.path} failed: ${errorMessage(err)}`,
            `http: ${status} answers to ${route} requests`,
          );
        } else if (log.isDebug()) log.debug(`http: ${koa.method} ${koa.path}: ${status} ${body.message}`);
        await discardRest(koa.req, koa.res.shouldKeepAlive);
        koa.status = status;
        koa.set(headers);
        koa.body = body;
      } finally {
        metrics.countRequest((koa.state as ApiState).route ?? 'other', koa.status);
      }
    });
    // Inside the error middleware: error answers carry the CORS headers too, so a script can read them.
    // Before the access check: a preflight carries no credentials, and a 401 must be readable too.
    const corsLayer = corsMiddleware(settings.http.cors_origins);
    if (corsLayer !== undefined) app.use(corsLayer);
    app.use(access.middleware());
    const router = new Router();
    router.get('/health', async (koa) => {
      (koa.state as ApiState).route = 'health';
      const report = await this.ctx.health();
      koa.status = report.ok ? 200 : 503;
      // Without admin rights: the status only (see HttpAccess).
      koa.body = (koa.state as AccessState).healthBrief ? { ok: report.ok } : report;
    });
    router.get('/metrics', async (koa) => {
      (koa.state as ApiState).route = 'metrics';
      const { contentType, text } = await metrics.render();
      koa.type = contentType;
      koa.body = text;
    });
    const api = apiRouter({
      log,
      maxBodySize: settings.http.max_body_size,
      bodyTimeoutMs: bodyTimeoutMs(settings.http),
      timezone: settings.daqd.timezone,
      ready: this.ctx.ready,
      channel: this.ctx.channel,
      restarting: this.ctx.restarting,
      sink: this.ctx.sink,
      apps: () => (this.ctx.channels?.() ?? []).map((channel) => channel.app),
      // Per instance: the file is read once and rewritten whole, so two processes must not share it.
      headers: new CsvHeaderStore({ dataDir: instanceDir(settings.daqd) }),
      metrics,
    });
    // Before the API: `/api/v2/write` is InfluxDB's, not a realm's.
    const influx = influxWriteRouter({
      log,
      maxBodySize: settings.http.max_body_size,
      bodyTimeoutMs: bodyTimeoutMs(settings.http),
      ready: this.ctx.ready,
      channels: () => this.ctx.channels?.() ?? [],
    });
    const isems = isemsRootRouter({
      ready: this.ctx.ready,
      channels: () => this.ctx.channels?.() ?? [],
      sink: this.ctx.sink,
      restarting: this.ctx.restarting,
    });
    // `daqd poll <realm>`: one polling round now.
    const poll = pollRouter({ ready: this.ctx.ready, channel: this.ctx.channel });
    this.mounted = [router, influx, poll, api, isems, ...(this.ctx.routers ?? [])];
    for (const r of this.mounted) {
      app.use(r.routes()).use(r.allowedMethods());
    }

    const server = await this.tls.createServer(app.callback());
    this.server = await new Promise<Server>((resolve, reject) => {
      const s = server.listen(this.ctx.port, this.ctx.listen);
      s.once('listening', () => resolve(s));
      s.once('error', (err: NodeJS.ErrnoException) => {
        const why = err.code === 'EADDRINUSE' ? 'address already in use' : errorMessage(err);
        reject(
          new DaqdError('listen', `cannot listen on ${this.ctx.listen}:${this.ctx.port}: ${why}`, {
            cause: err,
          }),
        );
      });
    });
    if (log.isDebug()) {
      const routes = this.routes().map((r) => `${r.methods.join('|') || 'ANY'} ${r.path}`);
      log.debug(`http: routes: ${routes.join(', ')}`);
    }
    log.info(
      `http: listening on ${this.tls.scheme}://${this.ctx.listen}:${this.port}` +
        (access.enabled ? ', access rules on' : ', no authentication'),
    );
  }

  /** Every route mounted (method and path pattern), once started: what the access rules must cover. */
  routes(): Array<{ methods: string[]; path: string }> {
    return this.mounted.flatMap((r) =>
      r.stack.map((layer) => ({ methods: [...layer.methods], path: String(layer.path) })),
    );
  }

  /** SIGHUP: reads the access file and the certificate again; a bad one leaves the one in use. */
  async reloadAccess(): Promise<void> {
    await Promise.all([this.access?.reload(), this.tls?.reload()]);
  }

  /** The Prometheus registry's text, as `/metrics` serves it (for tests and embedding). */
  async metricsText(): Promise<string> {
    return (await this.ctx.metrics.render()).text;
  }

  /**
   * Stops accepting connections and waits for requests in flight. Requests still running after the grace
   * time (e.g. a long export) are cut off. The grace time ends just before `shutdown_timeout`: after the
   * daemon's write queue has given up (half a second before it), so an ingest still waiting for the store
   * gets its 503 rather than a reset connection. Idempotent.
   */
  async stop(): Promise<void> {
    try {
      await this.close();
    } finally {
      this.failures?.flush();
    }
  }

  private async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const grace = Math.max(this.ctx.settings.daqd.shutdown_timeout * 1000 - 250, 250);
    const timer = setTimeout(() => server.closeAllConnections(), grace);
    try {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    } finally {
      clearTimeout(timer);
    }
  }
}
