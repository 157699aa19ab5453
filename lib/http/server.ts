import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import { DaqdError, errorMessage, NotFoundError, QueryError } from '../core/errors.js';
import type { Log } from '../core/log.js';

/** What /health reports; computed on request. */
export type HealthReport = () => Promise<{ ok: boolean } & Record<string, unknown>>;

/** Settings of the HTTP server (`[http]`). */
export interface HttpServerContext {
  listen: string;
  port: number;
  log: Log;
  health: HealthReport;
  /** Routers mounted after the built-in routes (ingest, export). */
  routers?: readonly Router[];
}

/** Maps an error to a status and a JSON body; 5xx never echo internals. */
function errorResponse(err: unknown): { status: number; body: { type: 'error'; message: string } } {
  if (err instanceof QueryError) return { status: 400, body: { type: 'error', message: err.message } };
  if (err instanceof NotFoundError) return { status: 404, body: { type: 'error', message: err.message } };
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { type: 'error', message: errorMessage(err) } };
  }
  return { status: 500, body: { type: 'error', message: 'internal error; see the daqd log' } };
}

/**
 * daqd's HTTP server (Koa). One error middleware maps errors to status + JSON; unknown paths get
 * 404 (not Kotori's 405). `start()` awaits `listen()` so an address in use fails the start.
 */
export class HttpServer {
  private server: Server | undefined;

  constructor(private readonly ctx: HttpServerContext) {}

  /** The bound port (useful with port 0). */
  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? this.ctx.port;
  }

  async start(): Promise<void> {
    const { log } = this.ctx;
    const app = new Koa();
    app.on('error', () => {});
    app.use(async (koa, next) => {
      try {
        await next();
        if (koa.status === 404 && koa.body === undefined) {
          throw new NotFoundError(`no such resource: ${koa.method} ${koa.path}`);
        }
      } catch (err) {
        const { status, body } = errorResponse(err);
        if (status >= 500) log.error(`http: ${koa.method} ${koa.path} failed: ${errorMessage(err)}`);
        koa.status = status;
        koa.body = body;
      }
    });
    const router = new Router();
    router.get('/health', async (koa) => {
      const report = await this.ctx.health();
      koa.status = report.ok ? 200 : 503;
      koa.body = report;
    });
    app.use(router.routes()).use(router.allowedMethods());
    for (const extra of this.ctx.routers ?? []) app.use(extra.routes()).use(extra.allowedMethods());

    this.server = await new Promise<Server>((resolve, reject) => {
      const s = app.listen(this.ctx.port, this.ctx.listen);
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
    log.info(`http: listening on http://${this.ctx.listen}:${this.port}`);
  }

  /** Stops accepting connections and waits for requests in flight. Idempotent. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
}
