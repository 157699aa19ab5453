import type { FieldValue, Point } from '../core/point.js';
import type { DashboardContent } from './dashboard.js';

/** What daqd knows of a field's type: from a value it saw, or `unknown` (a name without a value). */
export type FieldKind = 'number' | 'string' | 'boolean' | 'unknown';

/** The kind of a stored value. */
export function fieldKind(value: FieldValue | null | undefined): FieldKind {
  switch (typeof value) {
    case 'number':
    case 'bigint':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    default:
      return 'unknown';
  }
}

/** Events (`events`, `<gateway>_<node>_events`) are texts for annotations, not series to plot. */
export function isEventsMeasurement(measurement: string): boolean {
  return measurement === 'events' || measurement.endsWith('_events');
}

/**
 * The (database, measurement, field) triples daqd has seen, with each field's kind: what the
 * dashboards show. Filled from the store at start and from every stored batch after.
 */
export class FieldCatalog {
  private readonly databases = new Map<string, Map<string, Map<string, FieldKind>>>();

  /** Records one field; true when it is new or its kind became known. */
  add(database: string, measurement: string, field: string, kind: FieldKind): boolean {
    let measurements = this.databases.get(database);
    if (measurements === undefined) {
      measurements = new Map();
      this.databases.set(database, measurements);
    }
    let fields = measurements.get(measurement);
    if (fields === undefined) {
      fields = new Map();
      measurements.set(measurement, fields);
    }
    const known = fields.get(field);
    if (known !== undefined && (known !== 'unknown' || kind === 'unknown')) return false;
    fields.set(field, kind);
    return true;
  }

  /** Records a database (its data source) even before a field of it is known; true when new. */
  addDatabase(database: string): boolean {
    if (this.databases.has(database)) return false;
    this.databases.set(database, new Map());
    return true;
  }

  /** Records the fields of stored points; true when any of them is new. Cheap for known fields. */
  addPoints(database: string, points: readonly Point[]): boolean {
    let changed = this.addDatabase(database);
    const measurements = this.databases.get(database);
    for (const point of points) {
      const fields = measurements?.get(point.measurement);
      for (const key in point.fields) {
        const known = fields?.get(key);
        if (known !== undefined && known !== 'unknown') continue;
        const kind = fieldKind(point.fields[key]);
        if (this.add(database, point.measurement, key, kind)) changed = true;
      }
    }
    return changed;
  }

  /** Every database, in name order. */
  databaseNames(): string[] {
    return [...this.databases.keys()].sort();
  }

  /**
   * What the dashboard of `database` shows: each measurement's numeric fields (and those whose kind
   * is not known: a name the store listed without a value to tell). Strings, booleans and events are
   * left out: InfluxQL's `mean()` cannot take them.
   */
  dashboardContent(database: string): DashboardContent {
    const nodes = new Map<string, string[]>();
    for (const [measurement, fields] of this.databases.get(database) ?? []) {
      if (isEventsMeasurement(measurement)) continue;
      const plotted = [...fields].filter(([, kind]) => kind === 'number' || kind === 'unknown');
      if (plotted.length > 0) nodes.set(measurement, plotted.map(([name]) => name).sort());
    }
    return { database, nodes };
  }
}
