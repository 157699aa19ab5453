import type { RealmApp } from '../config/settings.js';
import type { Point } from '../core/point.js';
import { decodeSlot } from './decode/slot.js';
import { topicToTopology } from './decode/topic.js';
import type { Topology } from './decode/topology.js';
import { readingToPoint } from './sanitize/reading.js';
import type { SeriesClock } from './sanitize/series-clock.js';
import { topologyToStorage } from './sanitize/storage-address.js';
import type { InboundMessage } from './source/source.js';

/**
 * The acquisition path, in order: topic → topology → slot/payload decode → storage address →
 * sanitized points. This file is the one place that knows the order; each stage is pure.
 */

/** What the pipeline needs of its realm; time comes in with the message. */
export interface PipelineContext {
  app: Pick<RealmApp, 'realm' | 'strategy' | 'direct_channel_allowed_networks' | 'tags'>;
  /** IANA zone for zone-less timestamps. */
  timezone: string;
  /** Gives readings without a timestamp strictly increasing times per series. */
  clock: SeriesClock;
}

/** Points ready for one database, or why the message carries nothing to store. */
export type PipelineResult =
  | { kind: 'points'; topology: Topology; database: string; points: Point[] }
  | { kind: 'ignore'; reason: string };

/** Decodes one message into points. Throws `DecodeError` for a bad topic or payload. */
export function messageToPoints(message: InboundMessage, ctx: PipelineContext): PipelineResult {
  const topology = topicToTopology(message.topic, ctx.app);
  const decoded = decodeSlot(topology.slot, message.payload);
  if (decoded.kind === 'ignore') return decoded;
  return readingsToPoints(topology, decoded.kind, decoded.readings, message.receivedAt, ctx);
}

/**
 * Turns readings already decoded (a JSON body, CSV rows, a form) of one topology into points.
 * Used by the MQTT path above and directly by HTTP ingest. Throws `DecodeError`.
 */
export function readingsToPoints(
  topology: Topology,
  kind: 'data' | 'event',
  readings: readonly Record<string, unknown>[],
  receivedAt: bigint,
  ctx: PipelineContext,
): PipelineResult & { kind: 'points' } {
  const address = topologyToStorage(topology);
  const measurement = kind === 'event' ? address.eventsMeasurement : address.measurement;
  const seriesKey = `${address.database}\u0000${measurement}`;
  const points: Point[] = [];
  for (const reading of readings) {
    const { point, timeFromPayload } = readingToPoint(reading, {
      measurement,
      tagFields: ctx.app.tags,
      timezone: ctx.timezone,
      receivedAt,
      kind,
    });
    if (!timeFromPayload) point.time = ctx.clock.stamp(seriesKey, point.time);
    points.push(point);
  }
  return { kind: 'points', topology, database: address.database, points };
}
