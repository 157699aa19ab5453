import type { Context } from 'koa';
import type { RealmSeries } from '../acquire/sanitize/storage-address.js';
import { EARLIEST_TIME } from '../acquire/sanitize/storage-address.js';
import type { Sink } from '../acquire/sink/sink.js';
import { DEFAULT_ISEMS_TIMEZONE, type RealmApp } from '../config/settings.js';
import { type IsemsMeasurement, toIsemsMeasurement } from './isems-measurement.js';
import { inactiveCutoff } from './latest.js';
import { newestRow, newestRows, type StoredRow } from './newest-row.js';
import { realmSeries } from './realm-series.js';

/** `/measurements/<nodeId>/latest` answers this many measurements at most: the collector's `60 * 24`. */
export const ISEMS_NODE_LIMIT = 1440;
/** Series asked in parallel. */
const PARALLEL = 8;

/** What the ISEMS API asks of a request. */
export type IsemsRequest = { kind: 'isems-latest' } | { kind: 'isems-node'; nodeId: string };

/**
 * The ISEMS data collector's API on a realm's readings (`isems_api = true`), same shape, so its app
 * works unchanged: `{"measurements": [...]}`, each measurement as `toIsemsMeasurement` writes it.
 *
 * - `GET /measurements/latest`: the newest measurement of each node whose newest one is younger than
 *   `hide_inactive_after_days` (all nodes with `?all=true`), sorted by `nodeId`.
 * - `GET /measurements/<nodeId>/latest`: the newest 1,440 measurements of that node, newest first; an
 *   empty list for a node without any (as the collector answers).
 *
 * A node is its readings' `nodeId` (the collector's grouping); readings of one node stored under several
 * nodes (polled by address and sent over MQTT by name) are one node here too, a reading at the same time
 * counted once. `others`: the other running realms (see `realmSeries`).
 */
export async function handleIsems(
  koa: Context,
  app: RealmApp,
  request: IsemsRequest,
  sink: Sink,
  now: bigint,
  others: readonly RealmApp[] = [],
): Promise<void> {
  const zone = app.isems_timezone ?? DEFAULT_ISEMS_TIMEZONE;
  const series = await realmSeries(sink, app, others);
  const newest = await inParallel(series, (s) => newestRow(sink, { ...s, from: EARLIEST_TIME }));
  let measurements: IsemsMeasurement[];
  if (request.kind === 'isems-latest') {
    // `all` as the collector reads it: only `true` shows the inactive nodes.
    const from = inactiveCutoff(app, koa.query['all'] === 'true', now);
    const byNode = new Map<string, IsemsMeasurement & { time: bigint }>();
    series.forEach((s, i) => {
      const row = newest[i];
      if (row === undefined) return;
      const m = toIsemsMeasurement(s.node, row.time, row.data, zone);
      const seen = byNode.get(m.nodeId);
      if (seen === undefined || row.time > seen.time) byNode.set(m.nodeId, { ...m, time: row.time });
    });
    measurements = [...byNode.values()]
      .filter((m) => m.time > from)
      .sort((a, b) => Buffer.from(a.nodeId).compare(Buffer.from(b.nodeId)))
      .map(({ time: _time, ...m }) => m);
  } else {
    const mine = series.filter((s, i) => nodeIdOf(s, newest[i]) === request.nodeId);
    const lists = await inParallel(mine, (s) =>
      newestRows(sink, { ...s, from: EARLIEST_TIME }, ISEMS_NODE_LIMIT).then((rows) =>
        rows.filter((row) => nodeIdOf(s, row) === request.nodeId).map((row) => ({ series: s, row })),
      ),
    );
    const rows = lists
      .flat()
      .sort((a, b) => (a.row.time > b.row.time ? -1 : a.row.time < b.row.time ? 1 : 0));
    measurements = [];
    let last: bigint | undefined;
    for (const { series: s, row } of rows) {
      if (row.time === last) continue;
      last = row.time;
      measurements.push(toIsemsMeasurement(s.node, row.time, row.data, zone));
      if (measurements.length >= ISEMS_NODE_LIMIT) break;
    }
  }
  koa.status = 200;
  koa.body = { measurements };
}

/** The `nodeId` of a reading: its own, else the node it is stored under. */
function nodeIdOf(series: RealmSeries, row: StoredRow | undefined): string | undefined {
  if (row === undefined) return undefined;
  const own = row.data['nodeId'];
  return own === undefined ? series.node : String(own);
}

async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let at = 0; at < items.length; at += PARALLEL) {
    results.push(...(await Promise.all(items.slice(at, at + PARALLEL).map(work))));
  }
  return results;
}
