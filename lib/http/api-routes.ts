import type { RealmApp } from '../config/settings.js';
import { NotFoundError, QueryError } from '../core/errors.js';
import type { IsemsRequest } from './isems-api.js';

/** What a path under `/api/<realm>/` asks for, and with which methods. */
export type ApiRoute =
  | { kind: 'ingest'; methods: readonly string[]; topic: string; slot: 'data' | 'event' }
  | {
      kind: 'export';
      methods: readonly string[];
      /** The path's segments between the realm and the file: the node's address, for its strategy to read. */
      address: readonly string[];
      slot: 'data' | 'event';
      suffix: string;
    }
  /** `network` undefined: the whole realm's overview. */
  | { kind: 'latest'; methods: readonly string[]; network?: string | undefined }
  | { kind: 'isems'; methods: readonly string[]; request: IsemsRequest };

const EXPORT_FILE = /^(data|event)\.([^/]+)$/;
const READ_METHODS = ['GET', 'HEAD'];

/**
 * Routes of realm apps.
 * - Ingest (when the app enables it): the app's `ingest_routes`, compiled when the configuration was
 *   loaded: its ingest forwarders (Kotori `source = http:/api/… [POST]`, `target = mqtt:/…`) in file
 *   order, or, without any, the standard route `/api/<realm>/{address:.*}/{slot:(data|event)}` →
 *   `<realm>/{address}/{slot}.json`.
 * - Export (when the app enables it): `/api/<realm>/<address…>/<data|event>.<suffix>` and
 *   `/api/<realm>/<network>/latest`. Kotori's export forwarders (`target = influxdb:/…`) map to these.
 *   `/api/<realm>/latest` (the whole realm's overview) for every strategy; an app with a topic template
 *   has no path addressing and only this one.
 * - The ISEMS data collector's API (`isems_api = true`), first: `/api/<realm>/measurements/latest` and
 *   `/api/<realm>/measurements/<nodeId>/latest`.
 */
export class ApiRoutes {
  /**
   * The route a decoded path (`/api/<realm>/…`, split into `segments` after `/api/`) takes in `app`, or a
   * `NotFoundError` saying what the realm offers.
   */
  match(path: string, segments: readonly string[], app: RealmApp): ApiRoute {
    const last = segments[segments.length - 1] ?? '';
    if (app.isems_api && segments[1] === 'measurements' && last === 'latest') {
      if (segments.length === 3)
        return { kind: 'isems', methods: READ_METHODS, request: { kind: 'isems-latest' } };
      if (segments.length === 4) {
        return {
          kind: 'isems',
          methods: READ_METHODS,
          request: { kind: 'isems-node', nodeId: segments[2]! },
        };
      }
    }
    if (app.http_ingest) {
      for (const route of app.ingest_routes) {
        const values = route.match(path);
        if (values === undefined) continue;
        const topic = route.target(values);
        return { kind: 'ingest', methods: route.methods, topic, slot: slotOf(values['slot'], topic) };
      }
    }
    // A topic template has no path addressing: its realm has the realm-wide overview only.
    const addressed = app.topic_template === undefined;
    if (app.http_export) {
      if (segments.length === 2 && last === 'latest') return { kind: 'latest', methods: READ_METHODS };
    }
    if (app.http_export && addressed) {
      if (segments.length === 3 && last === 'latest') {
        return { kind: 'latest', methods: READ_METHODS, network: segments[1]! };
      }
      const file = EXPORT_FILE.exec(last);
      if (file !== null && segments.length >= 3) {
        return {
          kind: 'export',
          methods: READ_METHODS,
          address: segments.slice(1, -1),
          slot: file[1] as 'data' | 'event',
          suffix: file[2]!,
        };
      }
    }
    if (!app.http_ingest && !app.http_export && !app.isems_api) {
      throw new NotFoundError(
        `realm '${app.realm}' offers no HTTP API (enable it with 'http_api = true' in its app)`,
      );
    }
    const offers: string[] = [];
    if (app.http_ingest) offers.push(`POST /api/${app.realm}/<address>/data|event`);
    if (app.http_export && addressed) {
      offers.push(
        `GET /api/${app.realm}/<address>/data|event.<suffix>`,
        `GET /api/${app.realm}/<network>/latest`,
      );
    }
    if (app.http_export) offers.push(`GET /api/${app.realm}/latest`);
    if (app.isems_api) {
      offers.push(
        `GET /api/${app.realm}/measurements/latest`,
        `GET /api/${app.realm}/measurements/<nodeId>/latest`,
      );
    }
    throw new NotFoundError(
      `no such resource: ${clip(path)}; realm '${app.realm}' offers ${offers.join(', ')}`,
    );
  }
}

/**
 * The segments of a raw (percent-encoded) path below `/api/`, each decoded. `QueryError` for malformed
 * percent-encoding and for an encoded `/` inside a segment, which would shift the address.
 */
export function pathSegments(rawBelowApi: string): string[] {
  return rawBelowApi.split('/').map((raw) => {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      throw new QueryError(`path segment '${clip(raw)}' is not valid percent-encoding`);
    }
    if (segment.includes('/')) throw new QueryError(`path segment '${clip(raw)}' holds an encoded '/'`);
    return segment;
  });
}

/** `data` or `event`: the matched `{slot}` if the pattern has one, else the last part of the topic. */
function slotOf(matched: string | undefined, topic: string): 'data' | 'event' {
  if (matched !== undefined) return matched === 'event' ? 'event' : 'data';
  return /(?:^|\/)event(?:\.json|\/__json__)?$/.test(topic) ? 'event' : 'data';
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}
