/**
 * What daqd knows of Kotori's configuration files beyond the keys it reads itself: the sections and
 * keys Kotori's shipped files (`etc/production.ini`, `etc/development.ini`, `etc/examples/…`) and
 * documentation use. Keys listed here load without an error; daqd says that it ignores them.
 */

/** Sections of Kotori's main file that daqd does not use, with the reason given in the info line. */
export const KOTORI_IGNORED_SECTIONS: Readonly<Record<string, string>> = {
  wamp: "Kotori's WAMP bus; daqd has none",
  mongodb: "Kotori's metadata store for CSV headers; daqd keeps them under data_dir",
  'config-web': "Kotori's web configuration GUI; daqd has none",
};

/** Keys Kotori reads in sections that daqd reads too, which daqd does not need. */
export const KOTORI_IGNORED_KEYS: Readonly<Record<string, readonly string[]>> = {
  // `use_database` names the storage (commented out in Kotori's etc/test/main.ini); see below.
  kotori: ['use_database', 'debug'],
  // Kotori's apply_default_settings sets `debug = false`; daqd's debug logging comes from --debug-*.
  mqtt: ['debug'],
  // Kotori's InfluxDBAdapter: connection pool, UDP writes, a fixed database; `version` is the
  // hydro2motion vendor's. daqd speaks the v1 HTTP API and names databases per realm and network.
  influxdb: ['pool_size', 'use_udp', 'udp_port', 'database', 'version'],
  // Kotori's GrafanaManager logs in to Grafana's HTTP API (port defaults to 3000); daqd writes
  // provisioning files instead (config/grafana-keys.ts says so).
  grafana: ['host', 'port', 'username', 'password'],
};

/**
 * Storage sections of Kotori that daqd cannot write to, with the store's name. Without `[influxdb]`
 * and without an explicit `[storage] backend`, such a section refuses the configuration: falling back
 * to the embedded SQLite store would hide every reading from the database the user expects.
 */
export const UNWRITABLE_STORAGE: Readonly<Record<string, string>> = {
  cratedb: 'CrateDB',
};

/**
 * Keys of Kotori's app, vendor, forwarder and firmware sections that daqd does not read. They stay
 * silent; any other key daqd does not read is a warning.
 */
export const KOTORI_APP_KEYS: readonly string[] = [
  // composite apps (etc/examples/composite.ini, vendors/luftdaten.ini): `services` and `strategy` are
  // read for `app_factory = kotori.daq.application.composite:boot` (config/composite-app.ts); Grafana's
  // `graphing` is not daqd's.
  'services',
  'graphing',
  'strategy',
  // forwarders (etc/examples/forwarders/*.ini)
  'transform',
  // firmware builder (etc/examples/firmware.ini, vendors/hiveeyes.ini)
  'repository',
  'patch_files',
  'esp_root',
  'notify',
  // vendor keys (vendors/hiveeyes.ini, hydro2motion.ini, lst.ini)
  'dashboard_refresh_taming',
  'channels',
  'http_port',
  'udp_port',
  'database',
  'wamp_topic',
  'include_path',
  'header_files',
  'graphing_legend_right_side',
];
