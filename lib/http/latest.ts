import type { Context } from 'koa';
import { strategyNamed } from '../acquire/decode/strategy/registry.js';
import { databaseToStorage, EARLIEST_TIME } from '../acquire/sanitize/storage-address.js';
import type { Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { NotFoundError } from '../core/errors.js';
import { nsToIso } from '../export/format/iso-time.js';
import { allFlag } from './all-flag.js';
import { newestRow } from './newest-row.js';
import { realmSeries } from './realm-series.js';

/** One node's newest reading in the overview. */
export interface LatestEntry {
  /** `<gateway>_<node>` as stored (WAN), or the node (LAN). */
  node: string;
  measurement: string;
  time: string;
  data: Record<string, number | string | boolean>;
}

const NS_PER_SECOND = 1_000_000_000n;
/** Nodes asked in parallel. */
const PARALLEL = 8;

/**
 * `GET /api/<realm>/<network>/latest[?all=true]` (ISEMS's overview): the newest reading of every node of a
 * network, as a JSON array sorted by node. Nodes silent for longer than the app's
 * `hide_inactive_after_days` (0 = never hide) are left out unless `all=true`; the `Hidden-Nodes` header
 * says how many were. For a LAN realm the "network" is the node. 404 when the network has no data at all.
 */
export async function handleLatest(
  koa: Context,
  app: RealmApp,
  network: string,
  sink: Sink,
  now: bigint,
): Promise<void> {
  const all = allFlag(koa.query['all']);
  // The strategy says what the segment names (a network, or for LAN the node); storage addressing
  // says its database and which of its measurements hold whose readings.
  const scope = strategyNamed(app.strategy).databaseTopology(app.realm, network);
  const { database, nodeOf } = databaseToStorage(scope);
  const nodes = new Map<string, string>();
  for (const measurement of await sink.measurements(database)) {
    const node = nodeOf(measurement, 'data');
    if (node !== undefined) nodes.set(measurement, node);
  }
  const names = [...nodes.keys()];
  if (names.length === 0) {
    const what = scope.network === undefined ? 'node' : 'network';
    throw new NotFoundError(`no data for ${what} '${network}' (database '${database}')`);
  }
  const from = inactiveCutoff(app, all, now);

  const entries: LatestEntry[] = [];
  for (let at = 0; at < names.length; at += PARALLEL) {
    const batch = names.slice(at, at + PARALLEL);
    const found = await Promise.all(batch.map((measurement) => newest(sink, database, measurement, from)));
    for (let i = 0; i < batch.length; i++) {
      const measurement = batch[i]!;
      const entry = found[i];
      if (entry === undefined) continue;
      entries.push({
        node: nodes.get(measurement)!,
        measurement,
        ...entry,
      });
    }
  }
  entries.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  koa.set('Hidden-Nodes', String(names.length - entries.length));
  koa.status = 200;
  koa.body = entries;
}

/** One node's newest reading in the realm-wide overview: which database it is in, too. */
export interface RealmLatestEntry extends LatestEntry {
  database: string;
}

/**
 * `GET /api/<realm>/latest[?all=true]`: the newest reading of every node of the realm, whatever its
 * strategy (mqttkit, basic, a topic template): every series of `realmSeries`, as a JSON array sorted by
 * database and node (`others`: the other running realms, see `realmSeries`). Inactive nodes are hidden as by `handleLatest` (`Hidden-Nodes` says how many).
 * An empty array when the realm has stored nothing yet.
 */
export async function handleRealmLatest(
  koa: Context,
  app: RealmApp,
  sink: Sink,
  now: bigint,
  others: readonly RealmApp[] = [],
): Promise<void> {
  const from = inactiveCutoff(app, allFlag(koa.query['all']), now);
  const series = await realmSeries(sink, app, others);
  const entries: RealmLatestEntry[] = [];
  for (let at = 0; at < series.length; at += PARALLEL) {
    const batch = series.slice(at, at + PARALLEL);
    const found = await Promise.all(batch.map((s) => newest(sink, s.database, s.measurement, from)));
    batch.forEach((s, i) => {
      const entry = found[i];
      if (entry !== undefined)
        entries.push({ node: s.node, database: s.database, measurement: s.measurement, ...entry });
    });
  }
  koa.set('Hidden-Nodes', String(series.length - entries.length));
  koa.status = 200;
  koa.body = entries;
}

/** The earliest time a node counts as active at (`hide_inactive_after_days`; everything with `all`). */
export function inactiveCutoff(app: RealmApp, all: boolean, now: bigint): bigint {
  const days = app.hide_inactive_after_days;
  return all || days <= 0 ? EARLIEST_TIME : now - BigInt(Math.round(days * 86_400)) * NS_PER_SECOND;
}

async function newest(
  sink: Sink,
  database: string,
  measurement: string,
  from: bigint,
): Promise<Pick<LatestEntry, 'time' | 'data'> | undefined> {
  const row = await newestRow(sink, { database, measurement, from });
  return row === undefined ? undefined : { time: nsToIso(row.time), data: row.data };
}
