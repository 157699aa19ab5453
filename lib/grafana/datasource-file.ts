import { stringify } from 'yaml';
import { stableUid } from './grafana-uid.js';

/** How Grafana reaches InfluxDB (`[grafana] influxdb_url`, `influxdb_username`, `influxdb_password`). */
export interface InfluxConnection {
  url: string;
  username?: string | undefined;
  password?: string | undefined;
}

/** The uid of the data source of `database`: the dashboards' panels name it. Pure. */
export function datasourceUid(database: string): string {
  return stableUid('daqd-ds', database);
}

/** The header of every file daqd writes into a folder Grafana reads. */
export const WRITTEN_BY =
  '# Written by daqd from [grafana] of its configuration; daqd rewrites it when the data changes.\n' +
  '# Edit it and daqd leaves it as it is (and writes its own version aside).\n';

/**
 * Grafana's data source provisioning file (`apiVersion: 1`, a `datasources:` list): one InfluxDB 1.x
 * data source per database, named as the database (as Kotori's GrafanaManager named them), queried
 * with InfluxQL through Grafana's backend (`access: proxy`). Fields as Grafana 10/11 document them
 * ("Provision the data source", InfluxQL): the database as `jsonData.dbName`, also as the older
 * top-level `database`; the password in `secureJsonData`. Not editable in Grafana's UI: this file is
 * the data source's source. Pure.
 */
export function datasourcesYaml(databases: readonly string[], influx: InfluxConnection): string {
  const datasources = [...databases].sort().map((database) => ({
    name: database,
    uid: datasourceUid(database),
    type: 'influxdb',
    access: 'proxy',
    orgId: 1,
    url: influx.url,
    database,
    ...(influx.username === undefined ? {} : { user: influx.username }),
    jsonData: { dbName: database, httpMode: 'GET' },
    ...(influx.password === undefined ? {} : { secureJsonData: { password: influx.password } }),
    editable: false,
  }));
  return WRITTEN_BY + stringify({ apiVersion: 1, datasources });
}
