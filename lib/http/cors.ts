import cors from '@koa/cors';
import type { Middleware } from 'koa';

/** Seconds a browser may keep a preflight's answer (Chromium caps it at 7200). */
export const CORS_MAX_AGE = 7200;
/** Methods daqd's routes take. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'];
/** Request headers a script may send: credentials, bodies and InfluxDB clients' compression. */
const REQUEST_HEADERS = ['Authorization', 'Content-Type', 'Content-Encoding', 'Accept'];
/** Answer headers a script may read besides the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['Content-Disposition', 'Hidden-Nodes', 'Retry-After', 'Allow'];

/**
 * CORS for every route (`[http] cors_origins`), with `@koa/cors`: a request from a listed origin (or
 * any with `*`) gets `Access-Control-Allow-Origin` (the origin itself, or `*`), a preflight `OPTIONS`
 * is answered 204 with the methods, headers (`Authorization`, `Content-Type`, …) and `Max-Age`; every
 * answer varies by `Origin`. An unlisted origin gets no CORS headers, so its browser keeps the answer
 * from the script. No cookies are involved: `Authorization` travels as a header the script sets, which
 * needs no `Allow-Credentials`. Undefined when no origin is listed.
 */
export function corsMiddleware(origins: readonly string[] | undefined): Middleware | undefined {
  if (origins === undefined || origins.length === 0) return undefined;
  const any = origins.includes('*');
  const allowed = new Set(origins);
  return cors({
    origin: (koa) => {
      if (any) return '*';
      const origin = koa.get('Origin');
      return allowed.has(origin) ? origin : '';
    },
    allowMethods: METHODS,
    allowHeaders: REQUEST_HEADERS,
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: CORS_MAX_AGE,
  });
}
