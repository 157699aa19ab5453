import type { IncomingHttpHeaders } from 'node:http';

/** What a request presents: a user (or token) name and its secret; `malformed` when it cannot be read. */
export type Credentials =
  | { kind: 'none' }
  | { kind: 'malformed'; scheme: string }
  | { kind: 'secret'; user: string; secret: string; scheme: 'basic' | 'bearer' | 'token' | 'query' };

/**
 * Reads the credentials of a request, in every form daqd takes:
 * - `Authorization: Basic base64(user:password)` (RFC 7617; what airrohr, Ecowitt and most firmware send);
 * - `Authorization: Bearer <name>.<secret>` (RFC 6750; the token `daqd passwd --token` prints);
 * - `Authorization: Token <name>.<secret>` or `Token user:password` (InfluxDB 2.x and 1.8 clients);
 * - `?u=<user>&p=<password>` when `queryParams` is set (InfluxDB 1.x `/write`).
 * A token splits at its last `.`: the name may hold dots, the generated secret (base64url) has none.
 * Pure: headers and query in, credentials out; never logs.
 */
export function readCredentials(
  headers: IncomingHttpHeaders,
  query: Readonly<Record<string, string | string[] | undefined>> | undefined,
): Credentials {
  const header = headers.authorization;
  if (header !== undefined && header.trim() !== '') {
    const space = header.trim().indexOf(' ');
    const scheme = (space < 0 ? header.trim() : header.trim().slice(0, space)).toLowerCase();
    const value =
      space < 0
        ? ''
        : header
            .trim()
            .slice(space + 1)
            .trim();
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) return { kind: 'malformed', scheme };
      return { kind: 'secret', scheme, user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
    }
    if (scheme === 'bearer' || scheme === 'token') {
      const colon = value.indexOf(':');
      if (scheme === 'token' && colon > 0) {
        return { kind: 'secret', scheme, user: value.slice(0, colon), secret: value.slice(colon + 1) };
      }
      const dot = value.lastIndexOf('.');
      if (dot <= 0 || dot === value.length - 1) return { kind: 'malformed', scheme };
      return { kind: 'secret', scheme, user: value.slice(0, dot), secret: value.slice(dot + 1) };
    }
    return { kind: 'malformed', scheme: scheme.slice(0, 20) };
  }
  if (query !== undefined) {
    const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
    const user = first(query['u']);
    const secret = first(query['p']);
    if (user !== undefined || secret !== undefined) {
      if (user === undefined || user === '' || secret === undefined)
        return { kind: 'malformed', scheme: 'u/p' };
      return { kind: 'secret', scheme: 'query', user, secret };
    }
  }
  return { kind: 'none' };
}
