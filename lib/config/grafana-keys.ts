import { statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { KOTORI_IGNORED_KEYS } from './kotori-keys.js';
import type { SectionReader } from './section-reader.js';
import type { InfluxSettings } from './settings.js';

/**
 * `[grafana]`: daqd keeps Grafana's file provisioning current (`grafana/provisioner.ts`): a data source
 * per database and a dashboard per database (network), written into folders Grafana reads.
 */
export interface GrafanaSettings {
  /** `enable`: write the provisioning files. Default false. */
  enable: boolean;
  /** `datasources_dir`: Grafana's `provisioning/datasources` folder; daqd writes `daqd.yaml` there. */
  datasources_dir: string;
  /** `providers_dir`: Grafana's `provisioning/dashboards` folder; daqd writes the provider `daqd.yaml`. */
  providers_dir: string;
  /** `dashboards_dir`: the folder of the dashboard JSON files (the provider's `options.path`). */
  dashboards_dir: string;
  /** `folder`: the Grafana folder title the dashboards appear in. Default `daqd`. */
  folder: string;
  /** `influxdb_url`: InfluxDB's URL as Grafana reaches it. Default `[influxdb]`'s URL. */
  influxdb_url: string;
  /** `influxdb_username`, `influxdb_password`: Grafana's InfluxDB login. Default `[influxdb]`'s. */
  influxdb_username?: string | undefined;
  influxdb_password?: string | undefined;
}

/** Default `[grafana] folder`. */
export const DEFAULT_GRAFANA_FOLDER = 'daqd';

const DIR_KEYS = ['datasources_dir', 'providers_dir', 'dashboards_dir'] as const;

/**
 * Reads `[grafana]` (paths relative to `dir`). Kotori's keys (`host`, `port`, `username`, `password`:
 * its GrafanaManager logs in to Grafana's HTTP API) are accepted with an info line in `notes`.
 * Returns undefined unless `enable` is true and the store is InfluxDB: Grafana's SQLite data source
 * cannot query daqd's embedded store, so `enable = true` with it is a problem.
 */
export function readGrafanaKeys(
  grafana: SectionReader,
  context: { dir: string; backend: 'influxdb' | 'sqlite'; influxdb: InfluxSettings | undefined },
  notes: string[],
): GrafanaSettings | undefined {
  for (const key of KOTORI_IGNORED_KEYS['grafana'] ?? []) {
    if (grafana.raw(key) === undefined) continue;
    notes.push(
      new ConfigError(
        "ignored: Kotori's login to Grafana's HTTP API; daqd writes Grafana's provisioning files instead " +
          '(enable, datasources_dir, providers_dir, dashboards_dir)',
        { file: grafana.section.file, line: grafana.lineOf(key), key: `grafana.${key}` },
      ).format(),
    );
  }
  const enable = grafana.boolean('enable', false);
  const dirs = Object.fromEntries(
    DIR_KEYS.map((key) => {
      const value = grafana.string(key);
      return [key, value === undefined ? undefined : path.resolve(context.dir, value)];
    }),
  ) as Record<(typeof DIR_KEYS)[number], string | undefined>;
  const folder = grafana.string('folder', DEFAULT_GRAFANA_FOLDER);
  const url = grafana.string('influxdb_url') ?? context.influxdb?.url;
  if (url !== undefined && !/^https?:\/\/[^/]+/.test(url)) {
    grafana.problem('influxdb_url', `'${url}' is not an http:// or https:// URL`);
  }
  const username = grafana.string('influxdb_username') ?? context.influxdb?.username;
  const password = grafana.string('influxdb_password') ?? context.influxdb?.password;
  grafana.rejectUnknownKeys();
  if (!enable) return undefined;

  if (context.backend !== 'influxdb') {
    grafana.problem(
      'enable',
      "Grafana provisioning needs the InfluxDB store ([storage] backend = influxdb): Grafana's SQLite " +
        "data source cannot read daqd's embedded store (one file per database in daqd's own table layout)",
    );
    return undefined;
  }
  let ok = url !== undefined;
  for (const key of DIR_KEYS) {
    const dir = dirs[key];
    if (dir === undefined) {
      grafana.problem(key, 'missing: enable = true needs the folder Grafana reads provisioning files from');
      ok = false;
    } else if (!isDirectory(dir)) {
      grafana.problem(key, `'${dir}' is not an existing folder`);
      ok = false;
    }
  }
  if (!ok || url === undefined) return undefined;
  return {
    enable,
    datasources_dir: dirs.datasources_dir ?? '',
    providers_dir: dirs.providers_dir ?? '',
    dashboards_dir: dirs.dashboards_dir ?? '',
    folder,
    influxdb_url: url.replace(/\/+$/, ''),
    influxdb_username: username,
    influxdb_password: password,
  };
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
