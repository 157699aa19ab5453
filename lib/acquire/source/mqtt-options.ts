import { readFile } from 'node:fs/promises';
import type { IClientOptions } from 'mqtt';
import type { MqttSettings } from '../../config/settings.js';
import { DaqdError, errorMessage } from '../../core/errors.js';

/** MQTT 5 session lifetime after a disconnect: never expire, like a 3.1.1 `clean = false` session. */
const SESSION_EXPIRY_NEVER = 0xffffffff;

/** How long MQTT.js waits for the CONNACK, milliseconds. */
export const CONNECT_TIMEOUT_MS = 10_000;

/** MQTT.js's own packet trace is wanted (`DEBUG=mqttjs*`). */
const TRACE_MQTTJS = /mqttjs/.test(process.env['DEBUG'] ?? '');
const noTrace = (): void => {};

/** The contents of the configured TLS files, as MQTT.js takes them. */
export type MqttTlsFiles = Pick<IClientOptions, 'ca' | 'cert' | 'key'>;

/**
 * Reads `ca_file`, `cert_file` and `key_file` (those that are set). A file that cannot be read
 * throws a `DaqdError` (`mqtt_tls`) naming the key and the file.
 */
export async function readTlsFiles(settings: MqttSettings): Promise<MqttTlsFiles> {
  const { ca_file, cert_file, key_file } = settings;
  const read = async (key: string, file: string | undefined): Promise<Buffer | undefined> => {
    if (file === undefined) return undefined;
    try {
      return await readFile(file);
    } catch (err) {
      throw new DaqdError('mqtt_tls', `mqtt: cannot read ${key} '${file}': ${errorMessage(err)}`, {
        cause: err,
      });
    }
  };
  const [ca, cert, key] = await Promise.all([
    read('ca_file', ca_file),
    read('cert_file', cert_file),
    read('key_file', key_file),
  ]);
  return { ...(ca && { ca }), ...(cert && { cert }), ...(key && { key }) };
}

/** What `mqttClientOptions` builds the options of one connection from. */
export interface MqttClientOptionsInput {
  settings: MqttSettings;
  clientId: string;
  /** From `readTlsFiles`. */
  tls: MqttTlsFiles;
  /** MQTT protocol level: 4 = 3.1.1, 5 = MQTT 5. */
  version: 4 | 5;
}

/**
 * Where and as whom MQTT.js connects: the broker's address, login, TLS files (from `readTlsFiles`)
 * and keepalive, the same for every connection daqd makes to a realm's broker.
 */
export function brokerOptions(settings: MqttSettings, tls: MqttTlsFiles): IClientOptions {
  return {
    protocol: settings.protocol,
    host: settings.host,
    port: settings.port,
    username: settings.username,
    password: settings.password,
    ...tls,
    rejectUnauthorized: !settings.tls_insecure,
    keepalive: settings.keepalive,
    // MQTT.js traces each packet through `debug` even while it is off, several calls per message:
    // skipped unless its trace is asked for (DEBUG=mqttjs*).
    ...(TRACE_MQTTJS ? {} : { log: noTrace }),
  };
}

/**
 * MQTT.js options for one connection attempt: a persistent session (no clean start, MQTT 5 session
 * expiry "never"), MQTT 5 Receive Maximum = `receive_maximum`, and no reconnects, resubscribes or
 * automatic connect of MQTT.js's own.
 */
export function mqttClientOptions({
  settings,
  clientId,
  tls,
  version,
}: MqttClientOptionsInput): IClientOptions {
  return {
    ...brokerOptions(settings, tls),
    clientId,
    clean: false,
    protocolVersion: version,
    ...(version === 5 && {
      properties: { receiveMaximum: settings.receive_maximum, sessionExpiryInterval: SESSION_EXPIRY_NEVER },
    }),
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Reconnects (with backoff and the protocol fallback) and resubscribes are ours.
    reconnectPeriod: 0,
    resubscribe: false,
    // Listeners and the message hook are in place before the first byte arrives.
    manualConnect: true,
  };
}
