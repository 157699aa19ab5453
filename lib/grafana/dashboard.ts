import { datasourceUid } from './datasource-file.js';
import { COPY_UID_SUFFIX, stableUid } from './grafana-uid.js';

/** Grafana's dashboard JSON model version of Grafana 10.4/11 (the `schemaVersion` they write). */
export const DASHBOARD_SCHEMA_VERSION = 39;

/** Panels side by side in a row of the 24-column grid, and each panel's height in grid units. */
const PANELS_PER_LINE = 3;
const PANEL_HEIGHT = 8;

/** What a dashboard shows: the plottable fields of each measurement (node) of one database. */
export interface DashboardContent {
  database: string;
  /** Measurement → its numeric field names. */
  nodes: ReadonlyMap<string, readonly string[]>;
}

/** A Grafana dashboard as JSON (the parts daqd writes). */
export type DashboardJson = Record<string, unknown> & { uid: string; title: string; panels: unknown[] };

/** The uid of the dashboard of `database`. Pure. */
export function dashboardUid(database: string): string {
  return stableUid('daqd', database);
}

/** `"name"` as an InfluxQL identifier (backslash and double quote escaped). */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The node's name in row titles: the measurement without `_sensors` (WAN: `<gateway>_<node>`). */
function nodeTitle(database: string, measurement: string): string {
  if (measurement === 'sensors') return database;
  return measurement.endsWith('_sensors') ? measurement.slice(0, -'_sensors'.length) : measurement;
}

/**
 * The dashboard of one database (a network, or a node of a LAN realm): a row per node (measurement),
 * in it a `timeseries` panel per field. One panel per field, not one per node with every field: a
 * node's fields have different units and scales (°C beside grams of weight), which one y axis would
 * flatten. Each panel asks InfluxQL for the field's mean per `$__interval` in the chosen time range.
 * Rows and panels in name order, ids counted from 1: the same content gives the same JSON. Pure.
 */
export function networkDashboard(content: DashboardContent): DashboardJson {
  const datasource = { type: 'influxdb', uid: datasourceUid(content.database) };
  const panels: unknown[] = [];
  let id = 0;
  let y = 0;
  const measurements = [...content.nodes.keys()].sort();
  for (const measurement of measurements) {
    const fields = [...(content.nodes.get(measurement) ?? [])].sort();
    if (fields.length === 0) continue;
    panels.push({
      type: 'row',
      id: ++id,
      title: nodeTitle(content.database, measurement),
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    fields.forEach((field, i) => {
      const width = 24 / PANELS_PER_LINE;
      panels.push({
        type: 'timeseries',
        id: ++id,
        title: field,
        datasource,
        gridPos: {
          h: PANEL_HEIGHT,
          w: width,
          x: (i % PANELS_PER_LINE) * width,
          y: y + Math.floor(i / PANELS_PER_LINE) * PANEL_HEIGHT,
        },
        targets: [
          {
            refId: 'A',
            datasource,
            rawQuery: true,
            resultFormat: 'time_series',
            query:
              `SELECT mean(${quoteIdentifier(field)}) AS ${quoteIdentifier(field)} ` +
              `FROM ${quoteIdentifier(measurement)} WHERE $timeFilter GROUP BY time($__interval) fill(null)`,
          },
        ],
        fieldConfig: { defaults: { custom: { spanNulls: true } }, overrides: [] },
        options: {
          legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
          tooltip: { mode: 'multi', sort: 'none' },
        },
      });
    });
    y += Math.ceil(fields.length / PANELS_PER_LINE) * PANEL_HEIGHT;
  }
  return {
    id: null,
    uid: dashboardUid(content.database),
    title: content.database,
    description: `Readings of database '${content.database}', written by daqd`,
    tags: ['daqd'],
    editable: true,
    graphTooltip: 1,
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    version: 1,
    time: { from: 'now-24h', to: 'now' },
    refresh: '1m',
    timezone: 'browser',
    timepicker: {},
    templating: { list: [] },
    annotations: { list: [] },
    links: [],
    panels,
  };
}

/**
 * The dashboard as the copy daqd writes beside a hand-edited file: its own uid (`-daqd`) and title, so
 * Grafana never sees two dashboards with one uid. Pure.
 */
export function dashboardCopy(dashboard: DashboardJson): DashboardJson {
  return { ...dashboard, uid: dashboard.uid + COPY_UID_SUFFIX, title: `${dashboard.title} (daqd)` };
}
