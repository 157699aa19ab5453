import { strategyNamed } from '../acquire/decode/strategy/registry.js';
import {
  databaseToStorage,
  EARLIEST_TIME,
  LATEST_TIME,
  realmOwnsDatabase,
  topologyToStorage,
} from '../acquire/sanitize/storage-address.js';
import type { Cell, Sink } from '../acquire/sink/sink.js';
import type { RealmApp } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';

/** One node in the overview. */
export interface OverviewNode {
  /** `<gateway>_<node>` (WAN, as stored) or the node (LAN). */
  name: string;
  measurement: string;
  /**
   * The path segments of the node's export (`/api/<realm>/<address…>/data.json`), or undefined when its
   * stored names cannot be read back into an address of the realm's strategy (then it has no page).
   */
  address?: string[] | undefined;
  /** The newest reading: milliseconds since the epoch, and its values. */
  time?: number | undefined;
  values: Record<string, number | string | boolean>;
  /** Not heard from for longer than `silentAfterMs`. */
  silent: boolean;
}

/** The databases of one realm: networks (WAN) or nodes (LAN). */
export interface OverviewNetwork {
  /** The network (WAN) or, for LAN realms, the node: the segment of `/api/<realm>/<segment>/latest`. */
  name: string;
  database: string;
  nodes: OverviewNode[];
}

/** The web view's overview: every realm whose export is enabled, its networks and nodes. */
export interface Overview {
  realms: { realm: string; networks: OverviewNetwork[] }[];
  /** A node is silent after this long without a reading, ms. */
  silentAfterMs: number;
  /** Databases that could not be read, one line each. */
  problems: string[];
}

/** A node is marked silent after an hour without a reading. */
export const SILENT_AFTER_MS = 3_600_000;
/** Newest readings asked in parallel. */
const PARALLEL = 8;

/**
 * Builds the overview from the store: each database a realm owns by daqd's naming (`<realm>_<rest>`,
 * see `realmOwnsDatabase`; the longest realm name wins), each of its measurements that holds a node's
 * readings, and that node's newest reading. `now`: ms since the epoch. A database that cannot be read
 * is named in `problems`; the others are listed.
 */
export async function buildOverview(apps: readonly RealmApp[], sink: Sink, now: number): Promise<Overview> {
  const shown = apps.filter((app) => app.http_export).sort((a, b) => (a.realm < b.realm ? -1 : 1));
  const databases = await sink.databases();
  const problems: string[] = [];
  const realms: Overview['realms'] = shown.map((app) => ({ realm: app.realm, networks: [] }));
  const work: (() => Promise<void>)[] = [];
  for (const database of databases) {
    let owner = -1;
    let strength = 0;
    shown.forEach((app, i) => {
      const s = realmOwnsDatabase(app.realm, database);
      if (s > strength) {
        strength = s;
        owner = i;
      }
    });
    if (owner === -1) continue;
    const app = shown[owner]!;
    const segment = database.slice(strength + 1);
    if (segment === '') continue;
    const network: OverviewNetwork = { name: segment, database, nodes: [] };
    realms[owner]!.networks.push(network);
    work.push(async () => {
      try {
        await readNetwork(app, network, sink, now);
      } catch (err) {
        problems.push(`database '${database}': ${errorMessage(err)}`);
      }
    });
  }
  for (let at = 0; at < work.length; at += PARALLEL) {
    await Promise.all(work.slice(at, at + PARALLEL).map((run) => run()));
  }
  for (const realm of realms) realm.networks.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { realms, silentAfterMs: SILENT_AFTER_MS, problems };
}

async function readNetwork(app: RealmApp, network: OverviewNetwork, sink: Sink, now: number): Promise<void> {
  const strategy = strategyNamed(app.strategy);
  const scope = strategy.databaseTopology(app.realm, network.name);
  const { nodeOf } = databaseToStorage(scope);
  for (const measurement of await sink.measurements(network.database)) {
    const name = nodeOf(measurement, 'data');
    if (name === undefined) continue;
    const node: OverviewNode = { name, measurement, values: {}, silent: true };
    node.address = addressOf(app, scope.network === undefined ? [[name]] : splits(network.name, name), {
      database: network.database,
      measurement,
    });
    const result = await sink.query({
      database: network.database,
      measurement,
      from: EARLIEST_TIME,
      to: LATEST_TIME,
      order: 'desc',
      limit: 1,
    });
    for await (const row of result.rows) {
      node.time = Number(row[0] / 1_000_000n);
      result.columns.forEach((column, i) => {
        const value = row[i + 1] as Cell | undefined;
        if (value !== null && value !== undefined) node.values[column] = value;
      });
      node.silent = now - node.time > SILENT_AFTER_MS;
    }
    network.nodes.push(node);
  }
  network.nodes.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/**
 * WAN addresses a stored `<gateway>_<node>` may come from: each split at an underscore. Any of them
 * names the same measurement, so the first the strategy accepts is the node's address.
 */
function splits(network: string, name: string): string[][] {
  const out: string[][] = [];
  for (let i = name.indexOf('_'); i > 0 && i < name.length - 1; i = name.indexOf('_', i + 1)) {
    out.push([network, name.slice(0, i), name.slice(i + 1)]);
  }
  return out;
}

/** The first candidate address that the realm's strategy reads back to exactly this database and measurement. */
function addressOf(
  app: RealmApp,
  candidates: readonly string[][],
  where: { database: string; measurement: string },
): string[] | undefined {
  const strategy = strategyNamed(app.strategy);
  for (const address of candidates) {
    try {
      const stored = topologyToStorage(strategy.pathToTopology(address, 'data.json', app));
      if (stored.database === where.database && stored.measurement === where.measurement) return address;
    } catch {
      // Not an address of this strategy: try the next.
    }
  }
  return undefined;
}
