import type { Context } from 'koa';
import { strategyNamed } from '../acquire/decode/strategy/registry.js';
import { databaseToStorage, EARLIEST_TIME, LATEST_TIME } from '../acquire/sanitize/storage-address.js';
import type { Cell, Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { NotFoundError, QueryError } from '../core/errors.js';
import { nsToIso } from '../export/format/iso-time.js';

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
  const days = app.hide_inactive_after_days;
  const from = all || days <= 0 ? EARLIEST_TIME : now - BigInt(Math.round(days * 86_400)) * NS_PER_SECOND;

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

async function newest(
  sink: Sink,
  database: string,
  measurement: string,
  from: bigint,
): Promise<Pick<LatestEntry, 'time' | 'data'> | undefined> {
  const result = await sink.query({ database, measurement, from, to: LATEST_TIME, order: 'desc', limit: 1 });
  for await (const row of result.rows) {
    const entries: [string, number | string | boolean][] = [];
    result.columns.forEach((column, i) => {
      const value = row[i + 1] as Cell | undefined;
      if (value !== null && value !== undefined) entries.push([column, value]);
    });
    // fromEntries defines own properties: a field named `__proto__` stays a field.
    return { time: nsToIso(row[0]), data: Object.fromEntries(entries) };
  }
  return undefined;
}

function allFlag(value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  const text = (Array.isArray(value) ? (value[value.length - 1] ?? '') : value).trim().toLowerCase();
  if (['', 'true', '1', 'yes', 'on'].includes(text)) return true;
  if (['false', '0', 'no', 'off'].includes(text)) return false;
  throw new QueryError(`all must be true or false, not '${text.slice(0, 40)}'`);
}
