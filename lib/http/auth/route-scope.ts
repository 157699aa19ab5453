import { pathSegments } from '../api-routes.js';
import { EVERY_REALM, type Scope } from './access-rules.js';

/** What a request needs before it reaches its route. */
export type RouteNeed =
  /** Open to all: `/ping` (InfluxDB clients check it before writing), the web view's pages and assets. */
  | { kind: 'public' }
  /** `/health`: its status for all (load balancers probe it), its details for `admin` of `[realm:*]`. */
  | { kind: 'health' }
  /**
   * A realm's API: `scope` in `realm`; daqd's own endpoints (`/metrics`) and any path not listed here:
   * `admin` in `EVERY_REALM`.
   */
  | { kind: 'realm'; realm: string; scope: Scope }
  /** InfluxDB's write API: `write` in the realm of the database, which the route finds out. */
  | { kind: 'database'; scope: 'write' }
  /**
   * A route that finds its realm itself (the ISEMS API at the root, the web view's `/view/…?realm=`):
   * `scope` in that realm.
   */
  | { kind: 'routed'; scope: Scope };

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The scope a request needs, from its method and path alone, before any route runs: a path not named
 * here needs `admin`, so a route added later is closed until it is given its scope here.
 * `/api/<realm>/…`: GET and HEAD read (export, latest), every other method writes (ingest).
 * Throws `QueryError` for a path below `/api/` that is not valid percent-encoding.
 */
export function routeNeed(method: string, path: string): RouteNeed {
  if (path === '/ping') return { kind: 'public' };
  if (path === '/health') return { kind: 'health' };
  if (path === '/write' || path === '/api/v2/write') return { kind: 'database', scope: 'write' };
  if (path.startsWith('/measurements/')) return { kind: 'routed', scope: 'read' };
  // The web view: its pages and assets hold no data; its data routes name the realm in the query.
  if (path === '/' || path === '/node' || path.startsWith('/assets/')) return { kind: 'public' };
  if (path.startsWith('/view/')) return { kind: 'routed', scope: 'read' };
  // `daqd poll <realm>`: the route itself answers only clients on this machine (http/poll-route.ts).
  if (path.startsWith('/poll/')) return { kind: 'public' };
  if (path.startsWith('/api/')) {
    const realm = pathSegments(path.slice('/api/'.length))[0] ?? '';
    if (realm !== '' && realm !== EVERY_REALM) {
      return { kind: 'realm', realm, scope: READ_METHODS.has(method) ? 'read' : 'write' };
    }
  }
  return { kind: 'realm', realm: EVERY_REALM, scope: 'admin' };
}
