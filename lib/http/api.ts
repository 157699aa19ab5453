import Router from '@koa/router';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Metrics, RouteLabel } from '../core/metrics.js';
import { ApiRoutes, pathSegments } from './api-routes.js';
import type { CsvHeaderStore } from './csv-header-store.js';
import { handleExport } from './export.js';
import { HttpError } from './http-error.js';
import { handleIngest, type IngestChannel } from './ingest.js';
import { handleIsems } from './isems-api.js';
import { LargeBodyGate } from './large-body-gate.js';
import { handleLatest, handleRealmLatest } from './latest.js';

/** What the `/api` routes need; the daemon's parts are read lazily, as HTTP starts before them. */
export interface ApiContext {
  log: Log;
  /** `[http] max_body_size`, bytes. */
  maxBodySize: number;
  /** `[http] body_timeout` in ms (longest pause in a request body); default 30 s. */
  bodyTimeoutMs?: number | undefined;
  /** `[daqd] timezone`. */
  timezone: string;
  /** False until storage and channels are up: requests get 503 meanwhile. */
  ready: () => boolean;
  /** The running channel of a realm. */
  channel: (realm: string) => IngestChannel | undefined;
  /** For a realm restarting for a changed app: settles with its new channel once it is back. */
  restarting?: ((realm: string) => Promise<IngestChannel | undefined> | undefined) | undefined;
  sink: () => Sink | undefined;
  /** Every running realm's app: the realm-wide overviews leave the others' databases out. */
  apps?: (() => readonly RealmApp[]) | undefined;
  headers: CsvHeaderStore;
  metrics: Metrics;
}

/** Koa state the API leaves for the request counter. */
export interface ApiState {
  route?: RouteLabel;
}

/**
 * How long a request waits for a realm that is restarting for a changed app, ms; past that it gets 503
 * with `Retry-After`. A restart usually takes milliseconds, but waits for the old channel to drain.
 */
const RESTART_WAIT_MS = 5000;

/**
 * The `/api/<realm>/…` routes (see `ApiRoutes`): ingest, export, latest. 404 for an unknown realm, a realm
 * without that part of the API, or an address its strategy does not decode; 405 (with `Allow`) for a
 * known path with the wrong method; 503 while daqd is starting. A request for a realm that is restarting
 * waits for it (`RESTART_WAIT_MS` at most, then 503): clients do not retry a 404.
 */
export function apiRouter(ctx: ApiContext): Router {
  const routes = new ApiRoutes();
  const router = new Router();
  const largeBodies = new LargeBodyGate();
  router.all('/api/*rest', async (koa) => {
    const state = koa.state as ApiState;
    const segments = pathSegments(koa.path.slice('/api/'.length));
    const realm = segments[0] ?? '';
    if (!ctx.ready()) {
      throw new HttpError(503, 'daqd is starting; try again in a moment', { 'Retry-After': '5' });
    }
    const channel = ctx.channel(realm) ?? (await restartedChannel(ctx, realm));
    if (channel === undefined) {
      throw new NotFoundError(`no realm '${realm.length > 60 ? `${realm.slice(0, 60)}…` : realm}' here`);
    }
    const route = routes.match(`/api/${segments.join('/')}`, segments, channel.app);
    state.route = route.kind;
    if (!route.methods.includes(koa.method)) {
      throw new HttpError(405, `${koa.method} is not allowed here; use ${route.methods.join(' or ')}`, {
        Allow: route.methods.join(', '),
      });
    }
    if (route.kind === 'ingest') {
      await handleIngest(koa, channel, route, {
        maxBodySize: ctx.maxBodySize,
        bodyTimeoutMs: ctx.bodyTimeoutMs,
        headers: ctx.headers,
        metrics: ctx.metrics,
        largeBodies,
      });
      return;
    }
    const sink = ctx.sink();
    if (sink === undefined) throw new HttpError(503, 'storage is not available yet', { 'Retry-After': '5' });
    if (route.kind === 'export') {
      await handleExport(koa, channel.app, route, sink, { timezone: ctx.timezone, log: ctx.log });
    } else if (route.kind === 'isems') {
      await handleIsems(koa, channel.app, route.request, sink, nowNs(), ctx.apps?.() ?? []);
    } else if (route.network === undefined) {
      await handleRealmLatest(koa, channel.app, sink, nowNs(), ctx.apps?.() ?? []);
    } else {
      await handleLatest(koa, channel.app, route.network, sink, nowNs());
    }
  });
  return router;
}

/**
 * The new channel of a realm that is restarting, once it is back; undefined when the realm is not
 * restarting. 503 with `Retry-After` when it is not back within `RESTART_WAIT_MS` or failed to start.
 */
export async function restartedChannel(
  ctx: Pick<ApiContext, 'restarting'>,
  realm: string,
): Promise<IngestChannel | undefined> {
  const back = ctx.restarting?.(realm);
  if (back === undefined) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), RESTART_WAIT_MS);
  });
  try {
    const channel = await Promise.race([back, late]);
    if (channel !== 'late' && channel !== undefined) return channel;
  } finally {
    clearTimeout(timer);
  }
  throw new HttpError(503, `realm '${realm}' is restarting; try again in a moment`, { 'Retry-After': '5' });
}
