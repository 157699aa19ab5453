import type { RealmApp } from '../config/settings.js';
import type { Point } from '../core/point.js';
import { appDecoding, decodeLinePayload } from './decode/app-decoder.js';
import { csvLinesSlotClass } from './decode/csv-lines.js';
import { carriesErrors } from './decode/error-slot.js';
import { jsonReadingOver, looksLikeJson } from './decode/json-value-count.js';
import type { ParsedLine } from './decode/line-protocol.js';
import { seriesOf } from './decode/series.js';
import { classifySlot, decodeSlotPayload, type SlotClass } from './decode/slot.js';
import { topicToTopology } from './decode/topic.js';
import type { DataKind, StorageAddress, Topology } from './decode/topology.js';
import { vendorDocuments } from './decode/vendor-document.js';
import type { WriteBatcher } from './deliver/batcher.js';
import type { Settle } from './deliver/pending-batches.js';
import { lineToPoint } from './sanitize/line-points.js';
import { readingToPoint } from './sanitize/reading.js';
import {
  maxFieldsPerReading,
  refuseAddress,
  refuseLargePoint,
  refuseLargeReading,
  tooManyFields,
} from './sanitize/realm-limits.js';
import type { SeriesClock } from './sanitize/series-clock.js';
import { measurementOf, seriesMeasurement, topologyToStorage } from './sanitize/storage-address.js';
import type { InboundMessage } from './source/source.js';

/**
 * The ingest path, in order; this file is the one place that states it. A source (`source/`) brings
 * a message to its realm's channel (`channel/channel.ts`), which runs it through these stages:
 *
 * 1. decode (`decode/`, pure): topic → topology (`topic.ts`, by the realm's strategy, one file each
 *    in `strategy/`, listed in `strategy/registry.ts`), then slot
 *    and payload → readings (`slot.ts`, the decoders of `registry.ts`); vendor documents among the
 *    readings of a data container (a TTN uplink) → their readings (`vendor-document.ts`).
 * 2. sanitize (`sanitize/`, pure): topology → database and measurement (`storage-address.ts`, the
 *    one owner of storage addressing, which export and latest ask too),
 *    each reading → a point (`reading.ts`: names, types, time; `series-clock.ts` for readings
 *    without a time).
 * 3. deliver (`deliver/`): the batcher (`batcher.ts`: batches by size and time) writes to the store
 *    (`sink/`: InfluxDB or SQLite); while the store is down, to the spool (`spool.ts`, replayed in
 *    order by `spool-replayer.ts`); points the store rejects for good go to the dead-letter store
 *    (`dead-letter.ts`, via `isolate-rejected.ts`).
 *
 * `messageToPoints` (MQTT), `readingsToPoints` (readings decoded already) and `polledToPoints` (readings
 * of a polled body, `source/poll.ts`) run 1 and 2; `deliver` (or, per MQTT message, `deliverSettled`)
 * runs 3. A reading is acknowledged once `deliver` resolves (`deliverSettled` tells it stored).
 */

/** What the pipeline needs of its realm; time comes in with the message. */
export interface PipelineContext {
  app: Pick<
    RealmApp,
    | 'realm'
    | 'strategy'
    | 'direct_channel_allowed_networks'
    | 'tags'
    | 'topic_template'
    | 'database'
    | 'measurement'
    | 'csv_fields'
    | 'decoder'
    | 'allowed_networks'
    | 'allowed_nodes'
    | 'max_fields_per_reading'
  >;
  /** IANA zone for zone-less timestamps. */
  timezone: string;
  /** Gives readings without a timestamp strictly increasing times per series. */
  clock: SeriesClock;
  /**
   * Topics decoded before (see `TopicRoutes`). A node sends on the same topic again and again, so
   * its topology, slot class and storage address are worked out once, not per message.
   */
  routes?: TopicRoutes | undefined;
}

/** Points ready for one database, or why the message carries nothing to store. */
export type PipelineResult =
  | {
      kind: 'points';
      topology: Topology;
      database: string;
      points: Point[];
      /** Parts of the payload left out, each with why (CSV lines with another field count). */
      skipped?: readonly string[] | undefined;
    }
  | { kind: 'ignore'; reason: string };

/** Everything about a topic that does not depend on the payload. */
interface Route {
  readonly topology: Topology;
  /** The slot's decoder, or `lines`: the app's `decoder = line-protocol` (points as written). */
  readonly slotClass: SlotClass | { kind: 'lines' };
  /**
   * Worked out the first time a payload of the topic decodes, so that a bad payload is reported
   * before a bad address, as when each stage runs in turn.
   */
  address: StorageAddress | undefined;
  /** `SeriesClock` keys of the address (data, events), made with it. */
  seriesKeys: { data: string; event: string } | undefined;
}

/** Topics remembered at most per realm; past that the oldest are forgotten first. */
const DEFAULT_MAX_ROUTES = 10_000;

/**
 * A bounded memo of topic → route for one realm. It holds only what the pure stages would compute
 * again from the topic (and the realm's fixed strategy), so using it changes no result. Topics that
 * do not decode are not kept: they throw every time.
 */
export class TopicRoutes {
  private readonly routes = new Map<string, Route>();

  constructor(private readonly maxRoutes = DEFAULT_MAX_ROUTES) {}

  /** Topics remembered now. */
  get size(): number {
    return this.routes.size;
  }

  /** The route of `topic`; throws `DecodeError` like the stages it stands for. */
  get(topic: string, app: PipelineContext['app']): Route {
    let route = this.routes.get(topic);
    if (route === undefined) {
      route = routeOf(topic, app);
      if (this.routes.size >= this.maxRoutes) {
        const oldest = this.routes.keys().next();
        if (!oldest.done) this.routes.delete(oldest.value);
      }
      this.routes.set(topic, route);
    }
    return route;
  }
}

function routeOf(topic: string, app: PipelineContext['app']): Route {
  const topology = topicToTopology(topic, app);
  refuseAddress(topology, app);
  if (app.csv_fields !== undefined) {
    // `csv_fields = …`: every payload is CSV lines (`decode/csv-lines.ts`), error reports still skipped.
    const slotClass = csvLinesSlotClass(topology.slot, app.csv_fields, topology.field);
    return { topology, slotClass, address: undefined, seriesKeys: undefined };
  }
  const slotClass =
    app.decoder === undefined
      ? classifySlot(topology.slot, topology.field)
      : appSlotClass(app.decoder, topology);
  return { topology, slotClass, address: undefined, seriesKeys: undefined };
}

/**
 * The slot class of a topic of an app with `decoder = <name>` (`decode/app-decoder.ts`): that decoder,
 * whatever the slot; a slot carrying error reports is still ignored (Kotori's loop protection).
 */
function appSlotClass(name: string, topology: Topology): Route['slotClass'] {
  if (carriesErrors(topology.slot)) {
    return { kind: 'ignore', reason: `slot '${topology.slot}' carries error reports` };
  }
  const decoding = appDecoding(name, topology.slot, topology.field);
  if (decoding.kind === 'lines') return decoding;
  return { kind: 'decoder', decoder: decoding.decoder, match: decoding.match };
}

/** The delivery stage as the pipeline sees it: the batcher's `add` (`deliver/batcher.ts`). */
export type Delivery = Pick<WriteBatcher, 'add'>;

/**
 * Stage 3: hands points for one database to delivery: a message's or a body's points, or points that
 * arrived as points (InfluxDB line protocol). Resolves once they are stored (in the store or the
 * durable spool): only then may the reading be acknowledged. Rejects with `StorageError`.
 */
export function deliver(database: string, points: readonly Point[], delivery: Delivery): Promise<void> {
  return delivery.add(database, points);
}

/**
 * Stage 3 as `deliver`, for one MQTT message: `settle` is told how it ended instead of a promise
 * settling (see `WriteBatcher.addSettled`).
 */
export function deliverSettled(
  database: string,
  points: readonly Point[],
  delivery: Pick<WriteBatcher, 'addSettled'>,
  settle: Settle,
): void {
  delivery.addSettled(database, points, settle);
}

/** Stages 1 and 2 for one message: its points. Throws `DecodeError` for a bad topic or payload. */
export function messageToPoints(message: InboundMessage, ctx: PipelineContext): PipelineResult {
  const route = ctx.routes?.get(message.topic, ctx.app) ?? routeOf(message.topic, ctx.app);
  const maxFields = maxFieldsPerReading(ctx.app);
  // A JSON payload of a huge object is refused before it is parsed: parsing alone would take seconds.
  if (looksLikeJson(message.payload) && jsonReadingOver(message.payload, maxFields)) {
    throw tooManyFields(undefined, maxFields);
  }
  if (route.slotClass.kind === 'lines') return linePoints(route, message, ctx);
  const decoded = decodeSlotPayload(route.topology.slot, route.slotClass, message.payload);
  if (decoded.kind === 'ignore') return decoded;
  if (route.address === undefined || route.seriesKeys === undefined) {
    route.address = topologyToStorage(route.topology, ctx.app);
    route.seriesKeys = {
      data: seriesKeyOf(route.address, 'data'),
      event: seriesKeyOf(route.address, 'event'),
    };
  }
  const { address, seriesKeys } = route;
  const result = addressedPoints(
    route.topology,
    address,
    seriesKeys[decoded.kind],
    decoded.kind,
    decoded.readings,
    message.receivedAt,
    ctx,
  );
  if (decoded.skipped !== undefined && decoded.skipped.length > 0) result.skipped = decoded.skipped;
  return result;
}

/**
 * A line-protocol payload (`decoder = line-protocol`): its lines as points exactly as written
 * (measurement, tags, fields and their types; a line without a time gets the receive time, as InfluxDB
 * stamps it), stored in the database the topic is addressed to (the realm's strategy or topic template,
 * and the app's `database = …`); the line's own measurement is kept. The topic adds no tags.
 */
function linePoints(
  route: Route,
  message: InboundMessage,
  ctx: PipelineContext,
): PipelineResult & { kind: 'points' } {
  const { topology } = route;
  const lines = decodeLinePayload(topology.slot, topology.field, message.payload);
  route.address ??= topologyToStorage(topology, ctx.app);
  return linePointsOf(
    topology,
    route.address.database,
    lines,
    message.receivedAt,
    maxFieldsPerReading(ctx.app),
  );
}

/**
 * Stages 1 and 2 for a line-protocol body posted to a node's path of an app with
 * `decoder = line-protocol` (HTTP ingest): its points as `linePoints` makes them from an MQTT payload.
 * Throws `DecodeError`.
 */
export function linesToPoints(
  topology: Topology,
  payload: Buffer,
  receivedAt: bigint,
  app: PipelineContext['app'],
): PipelineResult & { kind: 'points' } {
  refuseAddress(topology, app);
  const lines = decodeLinePayload(topology.slot, topology.field, payload);
  const { database } = topologyToStorage(topology, app);
  return linePointsOf(topology, database, lines, receivedAt, maxFieldsPerReading(app));
}

function linePointsOf(
  topology: Topology,
  database: string,
  lines: readonly ParsedLine[],
  receivedAt: bigint,
  maxFields: number,
): PipelineResult & { kind: 'points' } {
  const points = lines.map((line) => {
    const point = lineToPoint(line, receivedAt);
    refuseLargePoint(point, maxFields);
    return point;
  });
  return { kind: 'points', topology, database, points };
}

/**
 * Stages 1 and 2 for readings polled over HTTP (`source/poll.ts`): their points as if they had arrived
 * on `topic` (the app's `poll_topic`), data or events as its slot says. Throws `DecodeError`.
 */
export function polledToPoints(
  topic: string,
  readings: readonly Record<string, unknown>[],
  receivedAt: bigint,
  ctx: PipelineContext,
): PipelineResult & { kind: 'points' } {
  const route = ctx.routes?.get(topic, ctx.app) ?? routeOf(topic, ctx.app);
  const kind = route.slotClass.kind === 'decoder' ? route.slotClass.match.kind : 'data';
  return readingsToPoints(route.topology, kind, readings, receivedAt, ctx);
}

/** True when every key of `reading` with a value is a tag field: no field would be left to store. */
function onlyTags(reading: Record<string, unknown>, tagFields: readonly string[]): boolean {
  return Object.entries(reading).every(
    ([key, value]) => value === null || value === undefined || tagFields.includes(key),
  );
}

/** The `SeriesClock` key of an address's readings or events. */
function seriesKeyOf(address: StorageAddress, kind: DataKind): string {
  return `${address.database}\u0000${measurementOf(address, kind)}`;
}

/**
 * Turns readings already decoded (a JSON body, CSV rows, a form) of one topology into points.
 * Used by the MQTT path above and directly by HTTP ingest. Throws `DecodeError`.
 */
export function readingsToPoints(
  topology: Topology,
  kind: DataKind,
  readings: readonly Record<string, unknown>[],
  receivedAt: bigint,
  ctx: PipelineContext,
): PipelineResult & { kind: 'points' } {
  refuseAddress(topology, ctx.app);
  const address = topologyToStorage(topology, ctx.app);
  return addressedPoints(topology, address, seriesKeyOf(address, kind), kind, readings, receivedAt, ctx);
}

function addressedPoints(
  topology: Topology,
  address: StorageAddress,
  seriesKey: string,
  kind: DataKind,
  readings: readonly Record<string, unknown>[],
  receivedAt: bigint,
  ctx: PipelineContext,
): PipelineResult & { kind: 'points' } {
  const measurement = measurementOf(address, kind);
  const options = { measurement, tagFields: ctx.app.tags, timezone: ctx.timezone, receivedAt, kind };
  const points: Point[] = [];
  const maxFields = maxFieldsPerReading(ctx.app);
  for (const reading of readings) refuseLargeReading(reading, maxFields);
  // Vendor documents (a TTN uplink) are recognised among the readings, on MQTT and HTTP alike.
  for (const reading of vendorDocuments(topology.slot, kind, readings)) {
    // A reading that names its series (MySense's `info`, `data`) has that measurement, same database.
    const series = seriesOf(reading);
    // A series with only tags (MySense's info holding just its label) is no reading of its own.
    if (series !== undefined && onlyTags(reading, options.tagFields)) continue;
    const measured = series === undefined ? options : { ...options, measurement: seriesMeasurement(series) };
    const { point, timeFromPayload } = readingToPoint(reading, measured);
    refuseLargePoint(point, maxFields);
    // A topic template's named parts are tags; a tag the reading names itself wins.
    if (topology.tags !== undefined) point.tags = { ...topology.tags, ...point.tags };
    if (!timeFromPayload) {
      const key = series === undefined ? seriesKey : `${address.database}\u0000${measured.measurement}`;
      point.time = ctx.clock.stamp(key, point.time);
    }
    points.push(point);
  }
  return { kind: 'points', topology, database: address.database, points };
}
