import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Router from '@koa/router';
import type { Context } from 'koa';
import { redactPasskey } from '../acquire/decode/ecowitt-passkey.js';
import { precisionToNs } from '../acquire/decode/line-protocol.js';
import { lineBodyToPoints } from '../acquire/sanitize/line-body.js';
import { lineOrigin } from '../acquire/sanitize/line-point.js';
import { realmOwnsDatabase } from '../acquire/sanitize/storage-address.js';
import { nowNs } from '../core/clock.js';
import { DecodeError, errorMessage, LimitError, StorageError } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { ApiState } from './api.js';
import type { AccessState } from './auth/http-access.js';
import { bodyBytes, bodyChunks, discardRest } from './body.js';
import { DEFAULT_BODY_TIMEOUT_S, idleLimitedChunks } from './body-idle.js';
import { HttpError } from './http-error.js';
import type { IngestChannel } from './ingest.js';

/** What the InfluxDB write API needs; the daemon's parts are read when a request comes. */
export interface InfluxWriteContext {
  log: Log;
  /** `[http] max_body_size`, bytes (of the body as sent and once decompressed). */
  maxBodySize: number;
  /** `[http] body_timeout` in ms (longest pause in a request body); default 30 s. */
  bodyTimeoutMs?: number | undefined;
  /** False until storage and channels are up: writes get 503 meanwhile. */
  ready: () => boolean;
  /** The running channels. */
  channels: () => readonly IngestChannel[];
}

const gunzipAsync = promisify(gunzip);

/** The two dialects: InfluxDB 1.x (`/write`) and 2.x (`/api/v2/write`) word their answers differently. */
type Dialect = 'v1' | 'v2';

/** v2's precisions (its API refuses the others); v1 also takes `n`, `u`, `µ`, `m`, `h`. */
const V2_PRECISIONS = new Set(['', 'ns', 'us', 'ms', 's']);

/** An answer in InfluxDB's words: `{"error": …}` (1.x) or `{"code": …, "message": …}` (2.x). */
class InfluxAnswer extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(redactPasskey(message));
    this.name = 'InfluxAnswer';
  }
}

/**
 * InfluxDB's write API, so Telegraf's `influxdb` / `influxdb_v2` outputs and any InfluxDB client can
 * write to daqd (and gain its spool and dead letters):
 * - `POST /write?db=<database>&precision=<n|ns|u|us|ms|s|m|h>` (1.x; `u`/`p` or Basic credentials);
 * - `POST /api/v2/write?bucket=<database>&org=…&precision=<ns|us|ms|s>` (2.x; `Authorization: Token …`);
 * - `GET|HEAD /ping` → 204, for clients that check first.
 *
 * The database (bucket) names the realm: `<realm>_<rest>` or `<realm>` of a realm with HTTP ingest on
 * (see `realmOwnsDatabase`), the databases the realm's own readings go to. With an access file, the
 * credentials (every form InfluxDB takes: `u`/`p`, Basic, `Token`) must hold `write` in that realm.
 *
 * Answers as InfluxDB does: 204 once every point is stored (or spooled); 400 for bad line protocol
 * (the good lines are stored, as InfluxDB stores them: `partial write: …`); 404 for a database no realm
 * takes; 400 for a bad precision; 413 for a body over `max_body_size`; 503 while the store cannot take
 * them (clients retry). Bodies may be gzip-compressed (Telegraf's default).
 */
export function influxWriteRouter(ctx: InfluxWriteContext): Router {
  const router = new Router();
  router.post('/write', (koa) => answer(koa, 'v1', ctx));
  router.post('/api/v2/write', (koa) => answer(koa, 'v2', ctx));
  const ping = (koa: Context) => {
    koa.status = 204;
    koa.set('X-Influxdb-Version', '1.8.10');
  };
  router.get('/ping', ping);
  router.head('/ping', ping);
  return router;
}

async function answer(koa: Context, dialect: Dialect, ctx: InfluxWriteContext): Promise<void> {
  (koa.state as ApiState).route = 'ingest';
  try {
    await write(koa, dialect, ctx);
    koa.status = 204;
  } catch (err) {
    const influx = toInfluxAnswer(err, dialect);
    if (influx.status >= 500) ctx.log.warning(`http: ${koa.method} ${koa.path}: ${errorMessage(err)}`);
    else if (ctx.log.isDebug()) ctx.log.debug(`http: ${koa.method} ${koa.path}: ${influx.message}`);
    await discardRest(koa.req, koa.res.shouldKeepAlive);
    koa.status = influx.status;
    koa.set(influx.headers);
    koa.body = dialect === 'v1' ? { error: influx.message } : { code: influx.code, message: influx.message };
  }
}

async function write(koa: Context, dialect: Dialect, ctx: InfluxWriteContext): Promise<void> {
  const receivedAt = nowNs();
  const query = koa.query;
  const param = (name: string) => {
    const value = query[name];
    return (Array.isArray(value) ? value[0] : value) ?? '';
  };
  // Wrong credentials are refused before anything is looked up.
  (koa.state as AccessState).authorize?.(undefined, 'write');
  if (!ctx.ready()) throw new InfluxAnswer(503, 'unavailable', 'daqd is starting', { 'Retry-After': '5' });
  // 2.x's bucket may be `database/retention policy` (InfluxDB 1.8's compatibility API).
  const database = dialect === 'v1' ? param('db') : (param('bucket').split('/')[0] ?? '');
  if (database === '') {
    throw new InfluxAnswer(400, 'invalid', dialect === 'v1' ? 'database is required' : 'bucket required');
  }
  const precision = param('precision');
  const unit = dialect === 'v2' && !V2_PRECISIONS.has(precision) ? undefined : precisionToNs(precision);
  if (unit === undefined) {
    throw new InfluxAnswer(
      400,
      'invalid',
      dialect === 'v1'
        ? `invalid precision "${precision}" (use n, u, ms, s, m or h)`
        : 'invalid precision; valid precision units are ns, us, ms, and s',
    );
  }
  let channel: IngestChannel | undefined;
  let best = 0;
  for (const c of ctx.channels()) {
    const strength = c.httpSource === undefined ? 0 : realmOwnsDatabase(c.app.realm, database);
    if (strength > best) [channel, best] = [c, strength];
  }
  if (channel?.httpSource === undefined) {
    throw new InfluxAnswer(
      404,
      'not found',
      dialect === 'v1' ? `database not found: "${database}"` : `bucket "${database}" not found`,
    );
  }
  // With access rules: `write` in the realm the database belongs to (401/403 otherwise).
  (koa.state as AccessState).authorize?.(channel.app.realm, 'write');
  const body = await requestBody(
    koa.req,
    ctx.maxBodySize,
    ctx.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_S * 1000,
  );
  const { points, problems } = lineBodyToPoints(body, lineOrigin(unit, receivedAt));
  if (points.length === 0 && problems.length > 0) throw new InfluxAnswer(400, 'invalid', problems[0]!);
  if (points.length > 0) await channel.httpSource.storePoints(database, points);
  // InfluxDB stores the lines it could read and says which it could not.
  if (problems.length > 0) {
    throw new InfluxAnswer(
      400,
      'invalid',
      dialect === 'v1'
        ? `partial write: ${problems.join('; ')} dropped=${problems.length}`
        : `partial write error (${points.length} accepted): ${problems.join('; ')}`,
    );
  }
}

/** The body, gunzipped when it says so, at most `limit` bytes as sent and as read (413 beyond). */
async function requestBody(req: IncomingMessage, limit: number, idleMs: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding !== 'gzip') return bodyBytes(bodyChunks(req, limit, idleMs));
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of idleLimitedChunks(req, idleMs)) {
    total += (chunk as Buffer).length;
    if (total > limit) throw new HttpError(413, 'Request Entity Too Large');
    parts.push(chunk as Buffer);
  }
  try {
    return await gunzipAsync(Buffer.concat(parts), { maxOutputLength: limit });
  } catch (err) {
    if (err instanceof RangeError) throw new HttpError(413, 'Request Entity Too Large');
    throw new InfluxAnswer(400, 'invalid', `cannot read the gzip body: ${errorMessage(err)}`);
  }
}

function toInfluxAnswer(err: unknown, dialect: Dialect): InfluxAnswer {
  if (err instanceof InfluxAnswer) return err;
  if (err instanceof HttpError) {
    const codes: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 413: 'request too large' };
    const message = err.status === 413 ? 'Request Entity Too Large' : err.message;
    return new InfluxAnswer(err.status, codes[err.status] ?? 'invalid', message, err.headers);
  }
  if (err instanceof StorageError) {
    if (err.retryable) {
      return new InfluxAnswer(503, 'unavailable', 'storage is unavailable; try again later', {
        'Retry-After': '10',
      });
    }
    // Rejected for good (a field type conflict): the points are in daqd's dead-letter store.
    return new InfluxAnswer(
      400,
      'invalid',
      dialect === 'v1' ? `partial write: ${err.message}` : `failure writing points: ${err.message}`,
    );
  }
  if (err instanceof LimitError) {
    return new InfluxAnswer(err.status, err.status === 403 ? 'forbidden' : 'invalid', err.message);
  }
  if (err instanceof DecodeError) return new InfluxAnswer(400, 'invalid', err.message);
  return new InfluxAnswer(500, 'internal error', 'internal error; see the daqd log');
}
