import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { Context } from 'koa';
import { strategyNamed } from '../acquire/decode/strategy/registry.js';
import type { Topology } from '../acquire/decode/topology.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { errorMessage, NotFoundError, QueryError } from '../core/errors.js';
import { nsToIso } from '../export/format/iso-time.js';
import { formats } from '../export/format/registry.js';
import { exportAddress, exportTitle } from '../export/pipeline.js';
import { resolveTimeRange } from '../export/query/time-range.js';
import type { AccessState } from '../http/auth/http-access.js';
import { HttpError } from '../http/http-error.js';
import type { LiveFeed, LiveReading } from './live-feed.js';
import type { LiveRelay } from './live-relay.js';
import { buildOverview } from './overview.js';
import type { StoreFollow } from './store-follow.js';
import { WebAssets } from './web-assets.js';

/** What the web view reads; the daemon's parts are read lazily, as HTTP starts before them. */
export interface WebViewContext {
  /** False until storage and channels are up: data requests get 503 meanwhile. */
  ready: () => boolean;
  /** The apps of the running realms. */
  apps: () => readonly RealmApp[];
  sink: () => Sink | undefined;
  feed: LiveFeed;
  /** Follows a shared realm on its broker while its nodes are watched (readings other instances take). */
  relay?: LiveRelay | undefined;
  /**
   * Follows a watched node in the store (readings other instances or writers stored); when set, the
   * broker is not followed (`relay`): the store has every reading the broker would bring.
   */
  follow?: StoreFollow | undefined;
  /** `[daqd] timezone`: zone-less `from` / `to` are read in it. */
  timezone: string;
  /** Milliseconds between keep-alive comments on a live stream (default 15 s; proxies drop idle ones). */
  keepAliveMs?: number | undefined;
}

/**
 * The web view (same port as the API):
 * - `GET /`: the overview page; `GET /node?realm=…&address=…`: a node's chart page; `GET /assets/<file>`.
 * - `GET /view/overview.json`: realms → networks → nodes with their newest readings (see `buildOverview`).
 * - `GET /view/node.json?realm=…&address=<a/b/c>`: a node's title, store address and export formats.
 * - `GET /view/live?realm=…&address=…`: Server-Sent Events, one `data:` line (a JSON array of
 *   `LiveReading`) per stored batch of the node's readings. Readings stored by other daqd instances (or
 *   other writers) come from the store (`StoreFollow`, InfluxDB); without it, for a realm split over
 *   daqd instances by a shared subscription, from the broker (`LiveRelay`), whichever instance stores
 *   them; a `: broker` comment says when that copy flows.
 * The chart itself reads the export API (`/api/<realm>/<address>/data.json?…&interval=…`).
 */
export function webRouter(ctx: WebViewContext): Router {
  const assets = new WebAssets();
  const router = new Router();
  const page = (name: string) => async (koa: Context) => {
    const asset = await assets.get(name);
    koa.type = asset.type;
    koa.set('Cache-Control', 'no-cache');
    koa.body = asset.body;
  };
  router.get('/', page('index.html'));
  router.get('/node', page('node.html'));
  router.get('/assets/:name', async (koa) => {
    await page(koa.params['name'] ?? '')(koa);
  });
  router.get('/view/overview.json', async (koa) => {
    const sink = readySink(ctx);
    koa.set('Cache-Control', 'no-store');
    koa.body = await buildOverview(readableApps(ctx, koa), sink, Date.now());
  });
  router.get('/view/node.json', async (koa) => {
    readySink(ctx);
    const node = nodeOf(ctx, koa);
    koa.set('Cache-Control', 'no-store');
    koa.body = {
      realm: node.app.realm,
      address: node.address,
      title: nodeTitle(node.topology),
      ...node.stored,
      formats: [...formats.keys()],
      range: rangeOf(koa, ctx.timezone),
    };
  });
  router.get('/view/live', (koa) => {
    readySink(ctx);
    const node = nodeOf(ctx, koa);
    openStream(koa, ctx, node.app, node.stored);
  });
  return router;
}

/**
 * The range `from` / `to` name (the export's expressions, default the last 24 hours), as ISO times and
 * milliseconds: the page sizes its buckets by it and asks the export for exactly that range.
 */
function rangeOf(koa: Context, timezone: string) {
  const text = (name: string) =>
    typeof koa.query[name] === 'string' ? (koa.query[name] as string) : undefined;
  const range = resolveTimeRange(
    { from: text('from') ?? 'now-24h', to: text('to') },
    { now: nowNs(), timezone },
  );
  return {
    from: nsToIso(range.from),
    to: nsToIso(range.to),
    fromMs: Number(range.from / 1_000_000n),
    toMs: Number(range.to / 1_000_000n),
  };
}

/**
 * `realm / network / gateway_node` (WAN) as the overview names the node: every split of a stored
 * `gateway_node` at an underscore is the same node, so the title does not depend on the split.
 */
function nodeTitle(t: Topology): string {
  return t.network !== undefined && t.gateway !== undefined
    ? `${t.realm} / ${t.network} / ${t.gateway}_${t.node}`
    : exportTitle(t);
}

function readySink(ctx: WebViewContext): Sink {
  if (!ctx.ready())
    throw new HttpError(503, 'daqd is starting; try again in a moment', { 'Retry-After': '5' });
  const sink = ctx.sink();
  if (sink === undefined) throw new HttpError(503, 'storage is not available yet', { 'Retry-After': '5' });
  return sink;
}

/**
 * The apps of the realms the client may read (all without access rules). Wrong credentials are a 401;
 * so is no readable realm at all while some realm has an export, so that a browser asks for a login.
 */
function readableApps(ctx: WebViewContext, koa: Context): readonly RealmApp[] {
  const access = koa.state as AccessState;
  const apps = ctx.apps();
  if (access.authorize === undefined || access.mayRead === undefined) return apps;
  access.authorize(undefined, 'read');
  const readable = apps.filter((app) => access.mayRead!(app.realm));
  const shown = apps.find((app) => app.http_export);
  if (shown !== undefined && !readable.some((app) => app.http_export)) access.authorize(shown.realm, 'read');
  return readable;
}

/** The node named by `realm` and `address` (segments joined by `/`), read by its realm's strategy. */
function nodeOf(ctx: WebViewContext, koa: Context) {
  const realm = single(koa, 'realm');
  // With access rules: `read` in that realm (auth/route-scope.ts, kind 'routed').
  (koa.state as AccessState).authorize?.(realm, 'read');
  const address = single(koa, 'address').split('/');
  const app = ctx.apps().find((a) => a.realm === realm && a.http_export);
  if (app === undefined) throw new NotFoundError(`no realm '${realm.slice(0, 60)}' with an export here`);
  const strategy = strategyNamed(app.strategy);
  let topology: ReturnType<typeof strategy.pathToTopology>;
  try {
    topology = strategy.pathToTopology(address, 'data.json', app);
  } catch (err) {
    throw new NotFoundError(`no such node: ${errorMessage(err)}; addresses are ${strategy.addressShape}`);
  }
  return { app, address, topology, stored: exportAddress(topology, 'data') };
}

function single(koa: Context, name: string): string {
  const value = koa.query[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new QueryError(
      `parameter '${name}' is needed once, e.g. ?realm=hiveeyes&address=testdrive/area-42/node-1`,
    );
  }
  return value.trim();
}

/** Answers with an event stream of the node's stored readings until the client or the feed goes. */
function openStream(
  koa: Context,
  ctx: WebViewContext,
  app: RealmApp,
  where: { database: string; measurement: string },
): void {
  koa.req.socket.setTimeout(0);
  koa.req.socket.setNoDelay(true);
  koa.status = 200;
  koa.type = 'text/event-stream';
  koa.set('Cache-Control', 'no-store');
  // nginx and other proxies would otherwise hold the events back.
  koa.set('X-Accel-Buffering', 'no');
  // The connection ends with the stream: when daqd stops, a kept-alive socket would hold the server's close.
  koa.set('Connection', 'close');
  const stream = new PassThrough();
  koa.body = stream;
  // The first bytes tell the browser the stream is open; `retry` is its reconnect delay, ms.
  stream.write('retry: 2000\n: live\n\n');
  const send = (readings: readonly LiveReading[]) => {
    stream.write(`data: ${JSON.stringify(readings)}\n\n`);
  };
  const keepAlive = setInterval(() => stream.write(': keep-alive\n\n'), ctx.keepAliveMs ?? 15_000);
  const unsubscribe = ctx.feed.subscribe(where.database, where.measurement, send, () => stream.end());
  const unwatch =
    ctx.follow !== undefined
      ? ctx.follow.watch(where.database, where.measurement)
      : (ctx.relay?.watch(app, () => {
          if (!stream.writableEnded) stream.write(': broker\n\n');
        }) ?? (() => {}));
  const done = () => {
    clearInterval(keepAlive);
    unsubscribe();
    unwatch();
    if (!stream.writableEnded) stream.end();
  };
  koa.req.once('close', done);
  stream.once('close', done);
}
