import type { Context } from 'koa';
import { readsLineProtocol } from '../acquire/decode/app-decoder.js';
import type { BodyDecoder } from '../acquire/decode/decoder.js';
import { jsonReadingOver, looksLikeJson } from '../acquire/decode/json-value-count.js';
import { BODY_DECODERS, bodyDecoderFor } from '../acquire/decode/registry.js';
import { appBodyDecoder, slotBodyDecoder } from '../acquire/decode/slot-body.js';
import { topicToTopology } from '../acquire/decode/topic.js';
import type { Topology } from '../acquire/decode/topology.js';
import { linesToPoints } from '../acquire/pipeline.js';
import { maxFieldsPerReading, tooManyFields } from '../acquire/sanitize/realm-limits.js';
import { measurementOf, topologyToStorage } from '../acquire/sanitize/storage-address.js';
import { type HttpSource, StoreInterruptedError } from '../acquire/source/http.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { DecodeError, errorMessage, NotFoundError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { bodyBytes, bodyChunks } from './body.js';
import type { CsvHeaderStore } from './csv-header-store.js';
import { HttpError } from './http-error.js';
import type { LargeBodyGate } from './large-body-gate.js';

/** What HTTP ingest needs of a realm's channel: its app, and its HTTP source (the way into its pipeline). */
export interface IngestChannel {
  readonly app: RealmApp;
  /** Undefined when the realm's app takes no HTTP ingest. */
  readonly httpSource: HttpSource | undefined;
}

/** What `handleIngest` is handed besides the request. */
export interface IngestContext {
  /** `[http] max_body_size`, bytes. */
  maxBodySize: number;
  headers: CsvHeaderStore;
  metrics: Metrics;
  /** Large bodies: received at most one per client, decoded one at a time. */
  largeBodies: LargeBodyGate;
  /** `[http] body_timeout` in ms: longest pause in a body before it is refused (408); 0 = none. */
  bodyTimeoutMs?: number | undefined;
}

/** What a 415 answer asks for: the first media type of every body decoder. */
const ACCEPTED = (() => {
  const types = BODY_DECODERS.map((decoder) => decoder.contentTypes[0]!);
  return `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}`;
})();

/**
 * `POST /api/<realm>/<address>/<data|event>`: reads the body (streamed, limited), has the decoder of its
 * `Content-Type` (see `acquire/decode/registry.ts`) decode it, and hands the readings to the realm's HTTP
 * source (`acquire/source/http.ts`) — the same pipeline as MQTT, without the broker. Answers 200 with
 * Kotori's messages (`[{"type": "info", "message": "Received #N readings"}]`, a CSV header note first)
 * only once the readings are stored. A body is checked whole before anything of it is stored: one bad
 * reading refuses the request (400, saying which one) and stores nothing of it. A large body is then
 * stored in parts; should the store fail part way, the answer (503) says how many were stored.
 * Readings without a timestamp get the time the request arrived.
 */
export async function handleIngest(
  koa: Context,
  channel: IngestChannel,
  route: { topic: string; slot: 'data' | 'event' },
  ctx: IngestContext,
): Promise<void> {
  const receivedAt = nowNs();
  const started = performance.now();
  const { app } = channel;
  let topology: Topology;
  try {
    topology = topicToTopology(route.topic, app);
  } catch (err) {
    throw new NotFoundError(`no such address: ${errorMessage(err)}`);
  }
  const kind = route.slot;
  if (readsLineProtocol(app.decoder)) {
    await ingestLines(koa, channel, topology, receivedAt, started, ctx);
    return;
  }
  // The app's own decoder where it reads bodies (`decoder = ecowitt`), a vendor's own POST (airrohr's
  // `…/custom/airrohr`) by its slot's decoder, else by Content-Type.
  const decoder =
    appBodyDecoder(app.decoder, topology.slot) ?? slotBodyDecoder(topology.slot) ?? requestDecoder(koa);
  let headerKey = '';
  if (decoder.remembersHeader) {
    const address = topologyToStorage(topology);
    headerKey = `${address.database}/${measurementOf(address, kind)}`;
  }
  const http = channel.httpSource;
  if (http === undefined) throw new NotFoundError(`realm '${app.realm}' takes no HTTP ingest`);
  const large = ctx.largeBodies.isLarge(koa.get('Content-Length') || undefined);
  // A large body is received under the per-client bound, then decoded and stored one at a time.
  let bytes: Buffer;
  const received = large ? await ctx.largeBodies.receive(koa.req.socket.remoteAddress ?? '') : undefined;
  try {
    bytes = await bodyBytes(bodyChunks(koa.req, ctx.maxBodySize, ctx.bodyTimeoutMs));
  } finally {
    received?.();
  }
  // A JSON body of a huge object is refused before it is parsed: parsing alone would take seconds.
  const maxFields = maxFieldsPerReading(app);
  if (looksLikeJson(bytes) && jsonReadingOver(bytes, maxFields)) throw tooManyFields(undefined, maxFields);
  const release = large ? await ctx.largeBodies.enter() : undefined;
  try {
    await ingestBody(
      koa,
      http,
      { topology, kind, receivedAt, started, decoder, headerKey, bytes },
      ctx,
      app.realm,
    );
  } finally {
    release?.();
  }
}

async function ingestBody(
  koa: Context,
  http: HttpSource,
  request: {
    topology: Topology;
    kind: 'data' | 'event';
    receivedAt: bigint;
    started: number;
    decoder: BodyDecoder;
    headerKey: string;
    bytes: Buffer;
  },
  ctx: IngestContext,
  realm: string,
): Promise<void> {
  const { topology, kind, receivedAt, started, decoder, headerKey, bytes } = request;
  const header = decoder.remembersHeader ? await ctx.headers.get(headerKey) : undefined;
  const body = await decoder.decodeBody(bytes, { header });
  let count: number;
  try {
    count = await http.ingest({
      topology,
      kind,
      receivedAt,
      body,
      // Remembered as soon as it arrives (as Kotori does), so a header sent alone counts too.
      checked: async () => {
        if (body.header !== undefined) await ctx.headers.set(headerKey, body.header);
      },
    });
  } catch (err) {
    if (err instanceof StoreInterruptedError) throw new HttpError(503, err.message, { 'Retry-After': '10' });
    throw err;
  }
  if (count > 0) ctx.metrics.observeIngest(realm, (performance.now() - started) / 1000);
  koa.status = 200;
  koa.body = [
    ...body.messages.map((message) => ({ type: 'info', message })),
    { type: 'info', message: `Received #${count} readings` },
  ];
}

/**
 * A body posted to an app with `decoder = line-protocol`: line protocol whatever its Content-Type, its
 * lines stored as written in the node's database (`acquire/pipeline.ts` `linesToPoints`, as on MQTT);
 * 200 with Kotori's message once stored. A bad line is a 400 naming it; nothing of the body is stored.
 */
async function ingestLines(
  koa: Context,
  channel: IngestChannel,
  topology: Topology,
  receivedAt: bigint,
  started: number,
  ctx: IngestContext,
): Promise<void> {
  const http = channel.httpSource;
  if (http === undefined) throw new NotFoundError(`realm '${channel.app.realm}' takes no HTTP ingest`);
  const bytes = await bodyBytes(bodyChunks(koa.req, ctx.maxBodySize, ctx.bodyTimeoutMs));
  const { database, points } = linesToPoints(topology, bytes, receivedAt, channel.app);
  await http.storePoints(database, points);
  ctx.metrics.observeIngest(channel.app.realm, (performance.now() - started) / 1000);
  koa.status = 200;
  koa.body = [{ type: 'info', message: `Received #${points.length} readings` }];
}

/** The body's decoder from `Content-Type`: 415 when it is missing, not one we read, or not UTF-8. */
function requestDecoder(koa: Context): BodyDecoder {
  const header = koa.get('Content-Type').trim();
  if (header === '') {
    if (koa.get('Content-Length') === '0') throw new DecodeError('request body is empty');
    throw new HttpError(415, `Content-Type is missing; send ${ACCEPTED}`);
  }
  const [type = '', ...params] = header.split(';').map((part) => part.trim());
  const decoder = bodyDecoderFor(type.toLowerCase());
  if (decoder === undefined) {
    const shown = type.length > 60 ? `${type.slice(0, 60)}…` : type;
    throw new HttpError(415, `Content-Type '${shown}' is not supported; send ${ACCEPTED}`);
  }
  for (const param of params) {
    const [name = '', value = ''] = param.split('=').map((part) => part.trim().toLowerCase());
    const charset = value.replace(/^"|"$/g, '');
    if (name === 'charset' && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
      throw new HttpError(415, `charset '${charset.slice(0, 20)}' is not supported; send UTF-8`);
    }
  }
  return decoder;
}
