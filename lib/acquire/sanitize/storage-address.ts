import { DecodeError } from '../../core/errors.js';
import type { DatabaseTopology, DataKind, StorageAddress, Topology } from '../decode/topology.js';

/**
 * The storage addressing of daqd, in one place: which database and measurement a reading goes to (and
 * is exported and listed from), and the time range a store keeps. Ingest, export and latest all ask here.
 */

/**
 * The earliest and latest instants a store keeps, in nanoseconds: InfluxDB 1.x's bounds, MinInt64 + 2
 * and MaxInt64 - 1 (inside SQLite's int64). Readings outside are refused; queries are clamped to them.
 */
export const EARLIEST_TIME = -(2n ** 63n) + 2n;
export const LATEST_TIME = 2n ** 63n - 2n;

/**
 * Characters InfluxDB 1.x accepts in a database name: Go's `unicode.IsPrint` (letters, marks,
 * numbers, punctuation, symbols and the ASCII space), which is what its `meta.ValidName` checks.
 */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]+$/u;
/** Characters no name part may hold: C0/C1 controls, DEL, line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A database name is a directory of influxd: most file systems allow 255 bytes. */
const MAX_DATABASE_BYTES = 255;

/**
 * Where the points of a topology are stored, named exactly as Kotori names them so existing
 * databases and dashboards keep working. Pure; throws `DecodeError` only.
 *
 * - WAN (network and gateway given): database `<realm>_<network>`, measurements
 *   `<gateway>_<node>_sensors` and `<gateway>_<node>_events`.
 * - LAN (neither given): database `<realm>_<node>`, measurements `sensors` and `events`.
 *
 * Names are sanitized as Kotori does: `/`, `.` and `-` become `_`, then lower case.
 *
 * With naming templates (`naming`, apps with a topic template): the database and/or the measurement
 * are the templates filled with the topology's parts and sanitized the same way; events go to
 * `<measurement>_events`.
 *
 * Kotori lets some names through that break later; they are a DecodeError here:
 * - an empty topology part, or one holding control characters or line breaks (no store can take
 *   them: InfluxQL quoted identifiers and line protocol cannot carry a raw newline);
 * - a database name with `"` or `\` (they would need escaping inside `CREATE DATABASE "…"`, and
 *   InfluxDB 1.x refuses `\` because the name becomes a directory), with any other character that
 *   is not printable, or longer than 255 UTF-8 bytes (the directory name limit). Spaces, commas and
 *   other printable characters are valid InfluxDB names and are URL-encoded in requests;
 * - a measurement with `\`: line protocol has no way to write a backslash before a comma or space
 *   that is not read as an escape. Spaces and commas in a measurement are fine: the line-protocol
 *   writer escapes them.
 */
export function topologyToStorage(t: Topology, naming?: StorageNaming): StorageAddress {
  checkPart('realm', t.realm);
  checkPart('node', t.node);
  if (naming?.database !== undefined || naming?.measurement !== undefined) return namedStorage(t, naming);

  if (t.network !== undefined || t.gateway !== undefined) {
    if (t.network === undefined || t.gateway === undefined) {
      throw new DecodeError(`topology of node '${t.node}' has a network or a gateway but not both`);
    }
    checkPart('network', t.network);
    checkPart('gateway', t.gateway);
    return address(
      sanitizeName(`${t.realm}_${t.network}`),
      sanitizeName(`${t.gateway}_${t.node}${SUFFIX.data}`),
      sanitizeName(`${t.gateway}_${t.node}${SUFFIX.event}`),
    );
  }
  return address(sanitizeName(`${t.realm}_${t.node}`), LAN_MEASUREMENT.data, LAN_MEASUREMENT.event);
}

/**
 * An app's naming templates (`database = {project}_{serial}`, `measurement = data`), compiled when the
 * configuration loads (`parseNameTemplate`). Either may be left out: that name is then the default one.
 */
export interface StorageNaming {
  database?: NameTemplate | undefined;
  measurement?: NameTemplate | undefined;
}

/** A naming template: literal text and `{name}` placeholders, in order. */
export interface NameTemplate {
  readonly text: string;
  readonly pieces: readonly ({ literal: string } | { name: string })[];
}

/** What compiling a naming template gave: the template, or what is wrong with it. */
export type NameTemplateResult = { template: NameTemplate } | { problem: string };

/**
 * Compiles a naming template; `names` are the placeholders it may use (the realm, the node, the field and
 * the named parts of the app's topic template). Pure. `{{`/`}}` are no escapes: names hold no braces.
 */
export function parseNameTemplate(text: string, names: readonly string[]): NameTemplateResult {
  if (text.trim() === '') return { problem: 'empty name' };
  const pieces: ({ literal: string } | { name: string })[] = [];
  const pattern = /\{([^{}]*)\}|([^{}]+)|([{}])/g;
  for (const m of text.matchAll(pattern)) {
    if (m[3] !== undefined) return { problem: `'${text}': unmatched '${m[3]}'` };
    if (m[2] !== undefined) {
      pieces.push({ literal: m[2] });
      continue;
    }
    const name = m[1] ?? '';
    if (!names.includes(name)) {
      return { problem: `'${text}': unknown placeholder '{${name}}' (known: ${names.join(', ')})` };
    }
    pieces.push({ name });
  }
  return { template: { text, pieces } };
}

/** The address of `t` under naming templates; a name without a template is the default one. */
function namedStorage(t: Topology, naming: StorageNaming): StorageAddress {
  const defaults = topologyToStorage(t);
  const values: Record<string, string | undefined> = {
    ...t.tags,
    realm: t.realm,
    network: t.network,
    gateway: t.gateway,
    node: t.node,
    field: t.field,
  };
  const expand = (template: NameTemplate): string =>
    template.pieces
      .map((piece) => {
        if ('literal' in piece) return piece.literal;
        const value = values[piece.name];
        if (value === undefined || value === '') {
          throw new DecodeError(`'${template.text}': no value for '{${piece.name}}'`);
        }
        checkPart(piece.name, value);
        return value;
      })
      .join('');
  const database = naming.database === undefined ? defaults.database : sanitizeName(expand(naming.database));
  if (naming.measurement === undefined) {
    return address(database, defaults.measurement, defaults.eventsMeasurement);
  }
  const measurement = sanitizeName(expand(naming.measurement));
  return address(database, measurement, `${measurement}${SUFFIX.event}`);
}

/**
 * The measurement of a reading that names its series (`decode/series.ts`: MySense's `info` and `data`),
 * sanitized like every name; its database is the address's. Pure; throws `DecodeError` only.
 */
export function seriesMeasurement(series: string): string {
  checkPart('series', series);
  const measurement = sanitizeName(series);
  if (measurement.includes('\\')) {
    throw new DecodeError(`measurement name '${measurement}' may not contain '\\'`);
  }
  return measurement;
}

/** The measurement of an address that holds readings of `kind`. */
export function measurementOf(address: StorageAddress, kind: DataKind): string {
  return kind === 'event' ? address.eventsMeasurement : address.measurement;
}

/** The measurements a database shares between nodes, and the node each belongs to. */
export interface DatabaseStorage {
  database: string;
  /**
   * The node a measurement of this database holds readings of `kind` for (WAN: `<gateway>_<node>` as
   * stored; LAN: the node), or undefined when it holds something else.
   */
  nodeOf(measurement: string, kind: DataKind): string | undefined;
}

/**
 * The database of a network (WAN) or a node (LAN), named as `topologyToStorage` names it for each of
 * its nodes. Pure; throws `DecodeError` only.
 */
export function databaseToStorage(t: DatabaseTopology): DatabaseStorage {
  checkPart('realm', t.realm);
  if (t.network !== undefined) {
    checkPart('network', t.network);
    const { database } = address(sanitizeName(`${t.realm}_${t.network}`), '', '');
    return {
      database,
      nodeOf: (measurement, kind) =>
        measurement.endsWith(SUFFIX[kind]) ? measurement.slice(0, -SUFFIX[kind].length) : undefined,
    };
  }
  checkPart('node', t.node);
  const { database } = address(sanitizeName(`${t.realm}_${t.node}`), '', '');
  return {
    database,
    nodeOf: (measurement, kind) => (measurement === LAN_MEASUREMENT[kind] ? t.node : undefined),
  };
}

/** A series of readings of a realm: one node's data measurement in one database. */
export interface RealmSeries {
  database: string;
  measurement: string;
  /**
   * The node it holds, as stored: `<node>` for a database per node (`sensors`), `<network>/<gateway>_<node>`
   * for a database per network, `<database part>/<measurement>` under a measurement naming template.
   */
  node: string;
}

/** Which databases and measurements hold a realm's readings, named as `topologyToStorage` names them. */
export interface RealmStorage {
  /** What the names of the realm's databases start with (all of the name when `exact`). */
  prefix: string;
  exact: boolean;
  /** True for a database of the realm. */
  holds(database: string): boolean;
  /** The series a measurement of a database of the realm is; undefined for events. */
  seriesOf(database: string, measurement: string): RealmSeries | undefined;
}

/**
 * The storage of a whole realm: its databases are `<realm>_<network or node>` (sanitized), or, under a
 * database naming template, those starting with the template's text up to its first placeholder other
 * than `{realm}` (all of it when it has none). Events (`events`, `…_events`) are no series. Pure;
 * `DecodeError` when a database template starts with such a placeholder (`{project}_{serial}`): its
 * databases cannot be told from other realms'.
 */
export function realmToStorage(realm: string, naming?: StorageNaming): RealmStorage {
  checkPart('realm', realm);
  let prefix = `${sanitizeName(realm)}_`;
  let exact = false;
  if (naming?.database !== undefined) {
    let text = '';
    exact = true;
    for (const piece of naming.database.pieces) {
      if ('literal' in piece) text += piece.literal;
      else if (piece.name === 'realm') text += realm;
      else {
        exact = false;
        break;
      }
    }
    if (text === '') {
      throw new DecodeError(
        `database template '${naming.database.text}' starts with a placeholder: the realm's databases cannot be told apart`,
      );
    }
    prefix = sanitizeName(text);
  }
  const holds = (database: string) => (exact ? database === prefix : database.startsWith(prefix));
  return {
    prefix,
    exact,
    holds,
    seriesOf(database, measurement) {
      if (!holds(database)) return undefined;
      if (measurement === LAN_MEASUREMENT.event || measurement.endsWith(SUFFIX.event)) return undefined;
      const part = database.length > prefix.length ? database.slice(prefix.length) : '';
      if (measurement === LAN_MEASUREMENT.data && part !== '') return { database, measurement, node: part };
      const own = measurement.endsWith(SUFFIX.data) ? measurement.slice(0, -SUFFIX.data.length) : measurement;
      return { database, measurement, node: part === '' ? own : `${part}/${own}` };
    },
  };
}

/** WAN measurements are `<gateway>_<node>` and this. */
const SUFFIX: Readonly<Record<DataKind, string>> = { data: '_sensors', event: '_events' };
/** LAN measurements (a database per node). */
const LAN_MEASUREMENT: Readonly<Record<DataKind, string>> = { data: 'sensors', event: 'events' };

/** Kotori's `sanitize_db_identifier`: `/`, `.`, `-` → `_`, then lower case. */
function sanitizeName(value: string): string {
  return value.replace(/[/.-]/g, '_').toLowerCase();
}

function address(database: string, measurement: string, eventsMeasurement: string): StorageAddress {
  if (database.includes('"') || database.includes('\\')) {
    throw new DecodeError(`database name '${database}' may not contain '"' or '\\'`);
  }
  if (!PRINTABLE.test(database)) {
    throw new DecodeError(`database name '${database}' contains characters that are not printable`);
  }
  if (Buffer.byteLength(database, 'utf8') > MAX_DATABASE_BYTES) {
    throw new DecodeError(`database name '${database}' is longer than ${MAX_DATABASE_BYTES} bytes`);
  }
  if (measurement.includes('\\')) {
    throw new DecodeError(`measurement name '${measurement}' may not contain '\\'`);
  }
  return { database, measurement, eventsMeasurement };
}

function checkPart(name: string, value: string): void {
  if (value === '') throw new DecodeError(`topology has an empty ${name}`);
  if (CONTROL.test(value)) {
    throw new DecodeError(`${name} ${JSON.stringify(value)} contains control characters or line breaks`);
  }
}

/**
 * How strongly `database` is one of `realm`'s databases by daqd's naming, for InfluxDB's
 * `/write?db=`: the length of the sanitized realm when the database is `<realm>_<rest>` (where the
 * realm's own readings and exports are) or the realm itself (Telegraf's default database `telegraf`
 * is the realm `telegraf`), and the whole name is already in sanitized form (lower case, no `/ . -`);
 * 0 when it is not. Of several realms, the one with the longest name owns the database.
 */
export function realmOwnsDatabase(realm: string, database: string): number {
  const name = sanitizeName(realm);
  if (sanitizeName(database) !== database) return 0;
  if (database === name) return name.length;
  return database.length > name.length + 1 && database.startsWith(`${name}_`) ? name.length : 0;
}
