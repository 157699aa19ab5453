import { expect } from 'chai';
import {
  DASHBOARD_SCHEMA_VERSION,
  dashboardCopy,
  dashboardUid,
  networkDashboard,
} from '../../lib/grafana/dashboard.js';
import { datasourceUid } from '../../lib/grafana/datasource-file.js';
import { GRAFANA_UID_MAX, stableUid } from '../../lib/grafana/grafana-uid.js';

/** Top-level fields of Grafana's dashboard JSON model (Grafana 10/11 "JSON model" documentation). */
const DASHBOARD_FIELDS = [
  'id',
  'uid',
  'title',
  'description',
  'tags',
  'style',
  'timezone',
  'editable',
  'graphTooltip',
  'panels',
  'time',
  'timepicker',
  'templating',
  'annotations',
  'refresh',
  'schemaVersion',
  'version',
  'links',
  'fiscalYearStartMonth',
  'liveNow',
  'weekStart',
];
const PANEL_FIELDS = [
  'type',
  'id',
  'title',
  'gridPos',
  'datasource',
  'targets',
  'fieldConfig',
  'options',
  'collapsed',
  'panels',
];

interface Panel {
  type: string;
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Array<{ refId: string; query: string; rawQuery: boolean; datasource: unknown }>;
}

function panelsOf(dashboard: { panels: unknown[] }): Panel[] {
  return dashboard.panels as Panel[];
}

const UID_CHARS = /^[a-zA-Z0-9_-]+$/;

describe('grafana: dashboard', () => {
  const content = {
    database: 'hiveeyes_testdrive',
    nodes: new Map([
      ['area-42_node-1_sensors', ['temperature', 'humidity', 'weight', 'voltage']],
      ['area-42_node-2_sensors', ['temperature']],
    ]),
  };
  const dashboard = networkDashboard(content);

  it('has the documented top-level fields of the JSON model, schemaVersion 39, last 24 h', () => {
    expect(DASHBOARD_FIELDS).to.include.members(Object.keys(dashboard));
    expect(dashboard).to.include({
      uid: 'daqd-hiveeyes_testdrive',
      title: 'hiveeyes_testdrive',
      schemaVersion: DASHBOARD_SCHEMA_VERSION,
      refresh: '1m',
    });
    expect(DASHBOARD_SCHEMA_VERSION).to.equal(39);
    expect(dashboard['time']).to.deep.equal({ from: 'now-24h', to: 'now' });
    // JSON round trip: nothing that JSON cannot carry.
    expect(JSON.parse(JSON.stringify(dashboard))).to.deep.equal(dashboard);
  });

  it('has a row per node and a timeseries panel per field, each asking InfluxQL for the mean', () => {
    const panels = panelsOf(dashboard);
    for (const panel of panels) expect(PANEL_FIELDS).to.include.members(Object.keys(panel));
    expect(panels.map((p) => `${p.type}:${p.title}`)).to.deep.equal([
      'row:area-42_node-1',
      'timeseries:humidity',
      'timeseries:temperature',
      'timeseries:voltage',
      'timeseries:weight',
      'row:area-42_node-2',
      'timeseries:temperature',
    ]);
    const weight = panels[4] as Panel;
    const datasource = { type: 'influxdb', uid: datasourceUid('hiveeyes_testdrive') };
    expect(weight.datasource).to.deep.equal(datasource);
    expect(weight.targets).to.deep.equal([
      {
        refId: 'A',
        datasource,
        rawQuery: true,
        resultFormat: 'time_series',
        query:
          'SELECT mean("weight") AS "weight" FROM "area-42_node-1_sensors" WHERE $timeFilter ' +
          'GROUP BY time($__interval) fill(null)',
      },
    ]);
  });

  it('numbers panels uniquely and lays them out in the 24-column grid without overlap', () => {
    const panels = panelsOf(dashboard);
    expect(new Set(panels.map((p) => p.id)).size).to.equal(panels.length);
    const cells = new Set<string>();
    for (const { gridPos } of panels) {
      expect(gridPos.x + gridPos.w).to.be.at.most(24);
      for (let x = gridPos.x; x < gridPos.x + gridPos.w; x++) {
        for (let y = gridPos.y; y < gridPos.y + gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `overlap at ${x},${y}`).to.equal(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    // The fourth field of node 1 starts a second line; node 2's row comes below it.
    expect(panels[4]?.gridPos).to.deep.equal({ h: 8, w: 8, x: 0, y: 9 });
    expect(panels[5]?.gridPos).to.deep.equal({ h: 1, w: 24, x: 0, y: 17 });
  });

  it('is the same JSON for the same content, in whatever order it was learnt', () => {
    const shuffled = networkDashboard({
      database: 'hiveeyes_testdrive',
      nodes: new Map([
        ['area-42_node-2_sensors', ['temperature']],
        ['area-42_node-1_sensors', ['weight', 'voltage', 'humidity', 'temperature']],
      ]),
    });
    expect(JSON.stringify(shuffled)).to.equal(JSON.stringify(dashboard));
  });

  it('names a LAN database\'s single node ("sensors") by the database and quotes odd names', () => {
    const lan = networkDashboard({ database: 'lab_node1', nodes: new Map([['sensors', ['a"b\\c']]]) });
    const panels = panelsOf(lan);
    expect(panels[0]?.title).to.equal('lab_node1');
    expect(panels[1]?.targets?.[0]?.query).to.equal(
      'SELECT mean("a\\"b\\\\c") AS "a\\"b\\\\c" FROM "sensors" WHERE $timeFilter GROUP BY time($__interval) fill(null)',
    );
  });

  it('has no rows for a database without plottable fields', () => {
    expect(networkDashboard({ database: 'x', nodes: new Map([['m', []]]) }).panels).to.deep.equal([]);
  });

  it('gives the copy beside an edited file its own uid and title', () => {
    const copy = dashboardCopy(dashboard);
    expect(copy.uid).to.equal('daqd-hiveeyes_testdrive-daqd');
    expect(copy.title).to.equal('hiveeyes_testdrive (daqd)');
    expect(copy.panels).to.deep.equal(dashboard.panels);
  });

  describe('uids', () => {
    it('stay the same for a name, differ between names and fit Grafana (40 of [a-zA-Z0-9-_])', () => {
      const long = 'a_realm_with_a_rather_long_name_and_network_name_too';
      const names = [
        'x',
        'hiveeyes_testdrive',
        long,
        `${long}2`,
        'wéird name/ü',
        'wéird name/ä',
        'a'.repeat(300),
      ];
      const uids = names.map(dashboardUid);
      expect(new Set(uids).size).to.equal(names.length);
      expect(names.map(dashboardUid)).to.deep.equal(uids);
      for (const uid of [...uids, ...names.map(datasourceUid)]) {
        expect(uid).to.match(UID_CHARS);
        expect(uid.length).to.be.at.most(GRAFANA_UID_MAX - '-daqd'.length);
        expect(dashboardCopy({ uid, title: 't', panels: [] }).uid.length).to.be.at.most(GRAFANA_UID_MAX);
      }
      expect(dashboardUid(long)).to.match(/^daqd-a_realm_with_a_rath-[0-9a-f]{10}$/);
    });

    it('are plain prefix-name where that fits', () => {
      expect(stableUid('daqd', 'hiveeyes_testdrive')).to.equal('daqd-hiveeyes_testdrive');
      expect(datasourceUid('hiveeyes_testdrive')).to.equal('daqd-ds-hiveeyes_testdrive');
    });
  });
});
