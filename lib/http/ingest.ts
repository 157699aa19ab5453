import type { Context } from 'koa';
import type { BodyDecoder, BodyItem, DecodedBody } from '../acquire/decode/decoder.js';
import { BODY_DECODERS, bodyDecoderFor } from '../acquire/decode/registry.js';
import { topicToTopology } from '../acquire/decode/topic.js';
import type { Topology } from '../acquire/decode/topology.js';
import { type PipelineContext, readingsToPoints } from '../acquire/pipeline.js';
import { SeriesClock } from '../acquire/sanitize/series-clock.js';
import { measurementOf, topologyToStorage } from '../acquire/sanitize/storage-address.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { DecodeError, errorMessage, NotFoundError, StorageError } from '../core/errors.js';
import type { Metrics } from '../core/metrics.js';
import { bodyBytes, bodyChunks } from './body.js';
import type { CsvHeaderStore } from './csv-header-store.js';
import { HttpError } from './http-error.js';
import type { LargeBodyGate } from './large-body-gate.js';

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
  metrics: Metrics;
  /** Large bodies are taken one at a time. */
  largeBodies: LargeBodyGate;
}

/**
 * Readings handed to the channel at a time. A body with more is checked whole first, then stored part by
 * part, so its memory stays bounded by the body's bytes plus one part.
 */
const PART = 5000;

/** What a 415 answer asks for: the first media type of every body decoder. */
const ACCEPTED = (() => {
  const types = BODY_DECODERS.map((decoder) => decoder.contentTypes[0]!);
  return `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}`;
})();

/**
 * `POST /api/<realm>/<address>/<data|event>`: reads the body (streamed, limited), decodes it into readings
 * and hands them to the realm's channel — the same pipeline as MQTT, without the broker. Answers 200 with
 * Kotori's messages (`[{"type": "info", "message": "Received #N readings"}]`, a CSV header note first)
 * only once the readings are stored. A body is checked whole before anything of it is stored: one bad
 * reading refuses the request (400, saying which one) and stores nothing of it. A body of more than
 * `PART` readings is then stored in parts; should the store fail part way, the answer (503) says how
 * many were stored.
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
  const decoder = requestDecoder(koa);
  let headerKey = '';
  if (decoder.remembersHeader) {
    const address = topologyToStorage(topology);
    headerKey = `${address.database}/${measurementOf(address, kind)}`;
  }
  const large = ctx.largeBodies.isLarge(koa.get('Content-Length') || undefined);
  const release = large ? await ctx.largeBodies.enter() : undefined;
  try {
    await ingestBody(koa, channel, { topology, kind, receivedAt, started, decoder, headerKey }, ctx);
  } finally {
    release?.();
  }
}

async function ingestBody(
  koa: Context,
  channel: IngestChannel,
  request: {
    topology: Topology;
    kind: 'data' | 'event';
    receivedAt: bigint;
    started: number;
    decoder: BodyDecoder;
    headerKey: string;
  },
  ctx: IngestContext,
): Promise<void> {
  const { topology, kind, receivedAt, started, decoder, headerKey } = request;
  const { app } = channel;
  const body = await bodyBytes(bodyChunks(koa.req, ctx.maxBodySize));
  const header = decoder.remembersHeader ? await ctx.headers.get(headerKey) : undefined;
  const source = await decoder.decodeBody(body, { header });
  const job: IngestJob = { channel, topology, kind, receivedAt, source, timezone: ctx.timezone, count: 0 };

  // First read: checks every reading; a body of at most PART readings is kept and stored from it.
  const { count, kept } = await checkBody(job);
  job.count = count;
  // Remembered as soon as it arrives (as Kotori does), so a header sent alone counts too.
  if (source.header !== undefined) await ctx.headers.set(headerKey, source.header);
  if (count > 0) {
    if (kept !== undefined) await storePart(job, kept, 0);
    else await storeInParts(job);
    ctx.metrics.observeIngest(app.realm, (performance.now() - started) / 1000);
  }
  koa.status = 200;
  koa.body = [
    ...source.messages.map((message) => ({ type: 'info', message })),
    { type: 'info', message: `Received #${count} readings` },
  ];
}

/** One request's readings on their way into the channel. */
interface IngestJob {
  channel: IngestChannel;
  topology: Topology;
  kind: 'data' | 'event';
  receivedAt: bigint;
  source: DecodedBody;
  timezone: string;
  /** Readings in the body, once it has been read through. */
  count: number;
}

/**
 * Reads the body once. Up to `PART` readings are kept (the channel checks them as it stores them);
 * beyond that every part is run through the pipeline on a scratch clock and dropped, so a bad reading
 * anywhere refuses the body before any of it is stored.
 */
async function checkBody(job: IngestJob): Promise<{ count: number; kept: BodyItem[] | undefined }> {
  const scratch = { app: job.channel.app, timezone: job.timezone, clock: new SeriesClock() };
  let part: BodyItem[] = [];
  let count = 0;
  let large = false;
  for await (const item of job.source.items()) {
    count++;
    part.push(item);
    if (part.length === PART) {
      large = true;
      checkPart(job, part, scratch);
      part = [];
    }
  }
  if (!large) return { count, kept: part };
  checkPart(job, part, scratch);
  return { count, kept: undefined };
}

function checkPart(job: IngestJob, part: readonly BodyItem[], scratch: PipelineContext): void {
  if (part.length === 0) return;
  try {
    readingsToPoints(
      job.topology,
      job.kind,
      part.map((item) => item.reading),
      job.receivedAt,
      scratch,
    );
  } catch (err) {
    throw locatedError(err, job, part);
  }
}

/** Reads the body again and stores it part by part, each part once the one before is stored. */
async function storeInParts(job: IngestJob): Promise<void> {
  let part: BodyItem[] = [];
  let stored = 0;
  for await (const item of job.source.items()) {
    part.push(item);
    if (part.length === PART) {
      await storePart(job, part, stored);
      stored += part.length;
      part = [];
    }
  }
  if (part.length > 0) await storePart(job, part, stored);
}

async function storePart(job: IngestJob, part: readonly BodyItem[], stored: number): Promise<void> {
  try {
    await job.channel.ingest(
      job.topology,
      job.kind,
      part.map((item) => item.reading),
      job.receivedAt,
    );
  } catch (err) {
    throw ingestError(err, job, part, stored);
  }
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

/**
 * What to answer when the channel did not store a part: the bad reading named (400), the store down or
 * daqd stopping (503; with how many readings of the body were stored before), the store refusing the
 * points for good (400; they are in the dead-letter store).
 */
function ingestError(err: unknown, job: IngestJob, part: readonly BodyItem[], stored: number): Error {
  if (err instanceof DecodeError) return locatedError(err, job, part);
  if (err instanceof StorageError) {
    if (err.retryable) {
      const what =
        stored === 0
          ? 'readings not stored'
          : `${stored} of the ${job.count} readings stored, those from ${job.source.where(part[0]!.line)} on not`;
      return new HttpError(503, `${what}: storage is unavailable or daqd is stopping; send them again`, {
        'Retry-After': '10',
      });
    }
    return new DecodeError(`the store refused the readings: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** A `DecodeError` of a part, with the place of its first bad reading (found again on a scratch clock). */
function locatedError(err: unknown, job: IngestJob, part: readonly BodyItem[]): Error {
  if (!(err instanceof DecodeError)) return err instanceof Error ? err : new Error(String(err));
  // A body of one reading needs no place.
  if (job.count === 1) return err;
  const scratch = { app: job.channel.app, timezone: job.timezone, clock: new SeriesClock() };
  for (const item of part) {
    try {
      readingsToPoints(job.topology, job.kind, [item.reading], job.receivedAt, scratch);
    } catch {
      return new DecodeError(`${job.source.where(item.line)}: ${err.message}`);
    }
  }
  return err;
}
