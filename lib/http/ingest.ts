import type { Context } from 'koa';
import { topicToTopology } from '../acquire/decode/topic.js';
import type { Topology } from '../acquire/decode/topology.js';
import { readingsToPoints } from '../acquire/pipeline.js';
import { SeriesClock } from '../acquire/sanitize/series-clock.js';
import { topologyToStorage } from '../acquire/sanitize/storage-address.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { DecodeError, errorMessage, NotFoundError, StorageError } from '../core/errors.js';
import { bodyChunks, bodyLines, bodyText } from './body.js';
import { csvReadings } from './csv-body.js';
import type { CsvHeaderStore } from './csv-header-store.js';
import { HttpError } from './http-error.js';
import type { HttpMetrics } from './metrics.js';
import { type BodyReadings, formReadings, jsonReadings, ndjsonReadings } from './readings-body.js';

/** What HTTP ingest needs of a realm's channel: its app, and the way into its pipeline. */
export interface IngestChannel {
  readonly app: RealmApp;
  ingest(
    topology: Topology,
    kind: 'data' | 'event',
    readings: readonly Record<string, unknown>[],
    receivedAt: bigint,
  ): Promise<number>;
}

/** What `handleIngest` is handed besides the request. */
export interface IngestContext {
  /** `[http] max_body_size`, bytes. */
  maxBodySize: number;
  /** `[daqd] timezone`, for locating a bad reading (the channel reads times in the same zone). */
  timezone: string;
  headers: CsvHeaderStore;
  metrics: HttpMetrics;
}

type BodyKind = 'json' | 'form' | 'csv' | 'ndjson';

const MEDIA_TYPES: Readonly<Record<string, BodyKind>> = {
  'application/json': 'json',
  'text/json': 'json',
  'application/x-www-form-urlencoded': 'form',
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
};
const ACCEPTED = 'application/json, application/x-www-form-urlencoded, text/csv or application/x-ndjson';

/**
 * `POST /api/<realm>/<address>/<data|event>`: reads the body (streamed, limited), decodes it into readings
 * and hands them to the realm's channel — the same pipeline as MQTT, without the broker. Answers 200 with
 * Kotori's messages (`[{"type": "info", "message": "Received #N readings"}]`, a CSV header note first)
 * only once the readings are stored. A body is taken whole or not at all: one bad reading refuses the
 * request (400, saying which one) and stores nothing of it.
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
  const bodyKind = requestBodyKind(koa);
  const chunks = bodyChunks(koa.req, ctx.maxBodySize);

  let body: BodyReadings;
  switch (bodyKind) {
    case 'json':
      body = jsonReadings(await bodyText(chunks));
      break;
    case 'form':
      body = formReadings(await bodyText(chunks));
      break;
    case 'ndjson':
      body = await ndjsonReadings(bodyLines(chunks));
      break;
    case 'csv': {
      const address = topologyToStorage(topology);
      const key = `${address.database}/${kind === 'event' ? address.eventsMeasurement : address.measurement}`;
      const csv = await csvReadings(bodyLines(chunks), await ctx.headers.get(key));
      // Remembered as soon as it arrives (as Kotori does), so a header sent alone counts too.
      if (csv.header !== undefined) await ctx.headers.set(key, csv.header);
      body = csv;
    }
  }

  if (body.readings.length > 0) {
    try {
      await channel.ingest(topology, kind, body.readings, receivedAt);
    } catch (err) {
      throw ingestError(err, body, topology, kind, receivedAt, app, ctx.timezone);
    }
    ctx.metrics.observeIngest(app.realm, (performance.now() - started) / 1000);
  }
  koa.status = 200;
  koa.body = [
    ...body.messages.map((message) => ({ type: 'info', message })),
    { type: 'info', message: `Received #${body.readings.length} readings` },
  ];
}

/** The body's kind from `Content-Type`: 415 when it is missing, not one we read, or not UTF-8. */
function requestBodyKind(koa: Context): BodyKind {
  const header = koa.get('Content-Type').trim();
  if (header === '') {
    if (koa.get('Content-Length') === '0') throw new DecodeError('request body is empty');
    throw new HttpError(415, `Content-Type is missing; send ${ACCEPTED}`);
  }
  const [type = '', ...params] = header.split(';').map((part) => part.trim());
  const kind = MEDIA_TYPES[type.toLowerCase()];
  if (kind === undefined) {
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
  return kind;
}

/**
 * What to answer when the channel did not store the readings: the bad reading named (400), the store
 * down or daqd stopping (503), the store refusing the points for good (400; they are in the dead-letter
 * store).
 */
function ingestError(
  err: unknown,
  body: BodyReadings,
  topology: Topology,
  kind: 'data' | 'event',
  receivedAt: bigint,
  app: RealmApp,
  timezone: string,
): Error {
  if (err instanceof DecodeError) {
    const index = badReading(body.readings, topology, kind, receivedAt, app, timezone);
    const where = index === undefined || body.readings.length === 1 ? '' : `${body.where(index)}: `;
    return new DecodeError(`${where}${err.message}`);
  }
  if (err instanceof StorageError) {
    if (err.retryable) {
      return new HttpError(
        503,
        'readings not stored: storage is unavailable or daqd is stopping; send them again',
        {
          'Retry-After': '10',
        },
      );
    }
    return new DecodeError(`the store refused the readings: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Index of the first reading the pipeline refuses (found again on a scratch clock, only after a failure). */
function badReading(
  readings: readonly Record<string, unknown>[],
  topology: Topology,
  kind: 'data' | 'event',
  receivedAt: bigint,
  app: RealmApp,
  timezone: string,
): number | undefined {
  const scratch = { app, timezone, clock: new SeriesClock() };
  for (let i = 0; i < readings.length; i++) {
    try {
      readingsToPoints(topology, kind, [readings[i]!], receivedAt, scratch);
    } catch {
      return i;
    }
  }
  return undefined;
}
