import { stringify } from 'yaml';
import { WRITTEN_BY } from './datasource-file.js';

/** Seconds between Grafana's looks into the dashboards folder (Grafana's default is 10). */
export const UPDATE_INTERVAL_SECONDS = 10;

/**
 * Grafana's dashboard provider file (`apiVersion: 1`, a `providers:` list): one file provider that
 * loads every dashboard JSON of `dashboardsDir` into the Grafana folder `folder`. Dashboards cannot be
 * saved from Grafana's UI (`allowUiUpdates: false`: the files are the source) nor deleted there. Pure.
 */
export function providerYaml(options: { dashboardsDir: string; folder: string }): string {
  const provider = {
    name: 'daqd',
    orgId: 1,
    folder: options.folder,
    type: 'file',
    disableDeletion: true,
    allowUiUpdates: false,
    updateIntervalSeconds: UPDATE_INTERVAL_SECONDS,
    options: { path: options.dashboardsDir, foldersFromFilesStructure: false },
  };
  return WRITTEN_BY + stringify({ apiVersion: 1, providers: [provider] });
}
