import Router from '@koa/router';
import type { Sink } from '../acquire/sink/sink.js';
import { nowNs } from '../core/clock.js';
import { NotFoundError } from '../core/errors.js';
import { type ApiState, restartedChannel } from './api.js';
import { pathSegments } from './api-routes.js';
import type { AccessState } from './auth/http-access.js';
import { HttpError } from './http-error.js';
import type { IngestChannel } from './ingest.js';
import { handleIsems, type IsemsRequest } from './isems-api.js';

/** What the root ISEMS routes need; read per request, as HTTP starts before storage and channels. */
export interface IsemsRootContext {
  ready: () => boolean;
  /** Every running channel. */
  channels: () => readonly IngestChannel[];
  sink: () => Sink | undefined;
  /** For a realm restarting for a changed app: settles with its new channel once it is back. */
  restarting?: ((realm: string) => Promise<IngestChannel | undefined> | undefined) | undefined;
}

/**
 * The ISEMS data collector's routes at the root, `/measurements/latest` and `/measurements/<nodeId>/latest`
 * (its app appends them to the base URL it is given), answered for the one realm whose app sets
 * `isems_api = true`. With several such realms the root is ambiguous: 404 naming their
 * `/api/<realm>/measurements/…` bases. A request while that realm restarts for a changed app waits for it,
 * as `/api` requests do. See `handleIsems`.
 */
export function isemsRootRouter(ctx: IsemsRootContext): Router {
  const router = new Router();
  /** The realm that answered last: while it restarts for a changed app, requests wait for it. */
  let lastRealm: string | undefined;
  const serve = async (koa: Router.RouterContext, request: IsemsRequest) => {
    (koa.state as ApiState).route = 'isems';
    if (!ctx.ready()) {
      throw new HttpError(503, 'daqd is starting; try again in a moment', { 'Retry-After': '5' });
    }
    let serving = ctx.channels().filter((channel) => channel.app.isems_api === true);
    if (serving.length === 0 && lastRealm !== undefined) {
      const back = await restartedChannel(ctx, lastRealm);
      if (back !== undefined) serving = ctx.channels().filter((channel) => channel.app.isems_api === true);
    }
    if (serving.length === 0) {
      throw new NotFoundError("no realm serves the ISEMS API here (set 'isems_api = true' in its app)");
    }
    if (serving.length > 1) {
      const bases = serving.map((channel) => `/api/${channel.app.realm}/measurements/…`).join(', ');
      throw new NotFoundError(`several realms serve the ISEMS API; ask one of them: ${bases}`);
    }
    const sink = ctx.sink();
    if (sink === undefined) throw new HttpError(503, 'storage is not available yet', { 'Retry-After': '5' });
    lastRealm = serving[0]!.app.realm;
    // With an access file: `read` in the realm serving the API (auth/route-scope.ts, kind 'routed').
    (koa.state as AccessState).authorize?.(lastRealm, 'read');
    const apps = ctx.channels().map((channel) => channel.app);
    await handleIsems(koa, serving[0]!.app, request, sink, nowNs(), apps);
  };
  router.get('/measurements/latest', (koa) => serve(koa, { kind: 'isems-latest' }));
  router.get('/measurements/:nodeId/latest', async (koa) => {
    // Decoded as the /api paths are: an encoded '/' or bad percent-encoding is a 400.
    const nodeId = pathSegments(koa.path.slice(1))[1] ?? '';
    await serve(koa, { kind: 'isems-node', nodeId });
  });
  return router;
}
