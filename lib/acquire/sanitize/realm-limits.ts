import type { RealmLimits } from '../../config/limit-keys.js';
import { DEFAULT_MAX_FIELDS_PER_READING } from '../../config/limit-keys.js';
import { LimitError } from '../../core/errors.js';
import type { Point } from '../../core/point.js';
import type { Topology } from '../decode/topology.js';
import { type NameTemplate, realmOwnsDatabase } from './storage-address.js';

/** Compiled patterns, by their text (apps are immutable; a changed app brings new texts). */
const compiled = new Map<string, RegExp>();

function patternRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`, 'su');
    compiled.set(pattern, re);
  }
  return re;
}

/** Whether `value` matches one of `patterns` (`*` any run, `?` one character, whole value). */
export function matchesPattern(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => patternRegExp(pattern).test(value));
}

/**
 * Refuses an address the realm does not allow (`allowed_networks`, `allowed_nodes`): `LimitError` 403.
 * Pure; runs before a payload is decoded, for MQTT topics and HTTP paths alike.
 */
export function refuseAddress(
  topology: Topology,
  app: Pick<RealmLimits, 'allowed_networks' | 'allowed_nodes'>,
): void {
  const { allowed_networks: networks, allowed_nodes: nodes } = app;
  if (
    networks !== undefined &&
    topology.network !== undefined &&
    !matchesPattern(networks, topology.network)
  ) {
    throw new LimitError(
      `realm '${topology.realm}': network '${topology.network}' is not allowed (allowed_networks)`,
    );
  }
  if (nodes !== undefined && !matchesPattern(nodes, topology.node)) {
    throw new LimitError(`realm '${topology.realm}': node '${topology.node}' is not allowed (allowed_nodes)`);
  }
}

/** The realm's `max_fields_per_reading`. */
export function maxFieldsPerReading(app: Pick<RealmLimits, 'max_fields_per_reading'>): number {
  return app.max_fields_per_reading ?? DEFAULT_MAX_FIELDS_PER_READING;
}

/** The `LimitError` (400) of a reading with more than `max` fields. */
export function tooManyFields(count: number | undefined, max: number): LimitError {
  const how = count === undefined ? `more than ${max}` : `${count}`;
  return new LimitError(`reading has ${how} fields, more than ${max} (max_fields_per_reading)`, 400);
}

/**
 * Refuses a reading with more than `max` keys before it is flattened (a cheap count: flattening costs
 * in proportion to the keys).
 */
export function refuseLargeReading(reading: Record<string, unknown>, max: number): void {
  let count = 0;
  for (const _ in reading) {
    if (++count > max) throw tooManyFields(Object.keys(reading).length, max);
  }
}

/** Refuses a point with more than `max` fields and tags (a reading's flattened keys). */
export function refuseLargePoint(point: Point, max: number): void {
  const count = Object.keys(point.fields).length + Object.keys(point.tags).length;
  if (count > max) throw tooManyFields(count, max);
}

/**
 * Which databases of the store count as a realm's own for `max_databases`: by daqd's naming
 * (`realmOwnsDatabase`: `<realm>` or `<realm>_…`); for an app with a `database` naming template, those
 * that begin with the template's fixed start (`{realm}` filled in, sanitized), or every database when
 * the template begins with a placeholder other than `{realm}`.
 */
export function realmDatabaseFilter(app: {
  realm: string;
  database?: NameTemplate | undefined;
}): (database: string) => boolean {
  const template = app.database;
  if (template === undefined) return (database) => realmOwnsDatabase(app.realm, database) > 0;
  let prefix = '';
  for (const piece of template.pieces) {
    if ('literal' in piece) prefix += piece.literal;
    else if (piece.name === 'realm') prefix += app.realm;
    else break;
  }
  const start = prefix.replace(/[/.-]/g, '_').toLowerCase();
  return (database) => database.startsWith(start);
}
