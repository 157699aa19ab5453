import { splitList } from '../config/ini-file.js';

/**
 * Kotori's debug flags (`kotori --help`, and `KOTORI_OPTS` in its `/etc/default/kotori`), each mapped
 * to the daqd log namespaces that do what Kotori's `startLogging` turns on for it.
 */
export const KOTORI_DEBUG_FLAGS = {
  /** Kotori: the MQTT→InfluxDB service and the mqttkit app; daqd: the realm channels. */
  'debug-mqtt': ['daqd:realm'],
  /** Kotori: its MQTT client (paho); daqd: the realms' MQTT clients and the built-in broker. */
  'debug-mqtt-driver': ['daqd:realm:*:mqtt', 'daqd:broker'],
  /** Kotori: its InfluxDB adapter; daqd: the store, the batcher and the spool. */
  'debug-influx': ['daqd:influxdb', 'daqd:sqlite', 'daqd:storage', 'daqd:spool'],
  /** Kotori: `kotori.io`, the HTTP forwarders and export; daqd: the HTTP API. */
  'debug-io': ['daqd:http'],
} as const;

export type KotoriDebugFlag = keyof typeof KOTORI_DEBUG_FLAGS;

/** The command-line options for the flags (for `util.parseArgs`); `--debug-vendor` takes a list. */
export const DEBUG_FLAG_OPTIONS = {
  'debug-mqtt': { type: 'boolean' },
  'debug-mqtt-driver': { type: 'boolean' },
  'debug-influx': { type: 'boolean' },
  'debug-io': { type: 'boolean' },
  'debug-vendor': { type: 'string', multiple: true },
} as const;

/** The flags as `util.parseArgs` returns them. */
export interface DebugFlagValues {
  'debug-mqtt'?: boolean | undefined;
  'debug-mqtt-driver'?: boolean | undefined;
  'debug-influx'?: boolean | undefined;
  'debug-io'?: boolean | undefined;
  'debug-vendor'?: string[] | undefined;
}

/**
 * The namespaces that log at debug for the given flags. `--debug-vendor hiveeyes,lst` turns on the
 * realms of those names (Kotori passes the list to its vendor apps).
 */
export function debugNamespaces(values: DebugFlagValues): string[] {
  const namespaces: string[] = [];
  for (const flag of Object.keys(KOTORI_DEBUG_FLAGS) as KotoriDebugFlag[]) {
    if (values[flag] === true) namespaces.push(...KOTORI_DEBUG_FLAGS[flag]);
  }
  for (const list of values['debug-vendor'] ?? []) {
    for (const vendor of splitList(list)) namespaces.push(`daqd:realm:${vendor}`);
  }
  return [...new Set(namespaces)];
}
