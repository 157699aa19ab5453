import { type MqttClient, ReasonCodes } from 'mqtt';
import { DaqdError } from '../../core/errors.js';
import { CONNECT_TIMEOUT_MS } from './mqtt-options.js';

/** A graceful `end()` that takes longer than this is cut short. */
const END_TIMEOUT_MS = 2_000;

/** One network connection (one MQTT.js client); a reconnect makes a new one. */
export interface MqttConnection {
  client: MqttClient;
  version: 4 | 5;
  /** TCP was established. */
  socketOpen: boolean;
  /** CONNACK code, once one arrived. */
  connack: number | undefined;
  /** CONNACK accepted the connection. */
  up: boolean;
  /** When it was accepted (`Date.now()`). */
  upSince: number;
  lastError: Error | undefined;
  closed: boolean;
  /** Rejecters of publishes waiting for their PUBACK; a closed connection fails them. */
  publishes: Set<(err: Error) => void>;
  /** Takes the PUBLISH held while `receive_maximum` handlers are busy (see `MqttInbound.onPublish`). */
  paused: (() => void) | undefined;
  /** Packet ids to acknowledge with the next write (see `MqttInbound.ack`). */
  acks: number[];
}

/** A connection of a new client, before its socket opens. */
export function newConnection(client: MqttClient, version: 4 | 5): MqttConnection {
  return {
    client,
    version,
    socketOpen: false,
    connack: undefined,
    up: false,
    upSince: 0,
    lastError: undefined,
    closed: false,
    publishes: new Set(),
    paused: undefined,
    acks: [],
  };
}

/** True when packets can go out on the connection: accepted by the broker, not closed. */
export function isUsable(conn: MqttConnection | undefined): conn is MqttConnection {
  return conn?.up === true && !conn.closed && conn.client.connected;
}

/** Options of a publish (`publishOn`). */
export interface MqttPublishOptions {
  /** Default 0. */
  qos?: 0 | 1;
  /** Default false. */
  retain?: boolean;
}

/**
 * Publishes on `conn` (of the broker at `url`, for messages). Fails fast with a `DaqdError` when it is
 * not usable, and when it closes before a QoS 1 publish is acknowledged: nothing is queued for later.
 */
export function publishOn(
  conn: MqttConnection | undefined,
  url: string,
  topic: string,
  payload: string | Buffer,
  options: MqttPublishOptions,
): Promise<void> {
  if (!isUsable(conn)) {
    return Promise.reject(
      new DaqdError(
        'mqtt_disconnected',
        `mqtt: cannot publish to '${topic}': not connected to broker ${url}`,
      ),
    );
  }
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    conn.publishes.add(fail);
    conn.client.publish(topic, payload, { qos: options.qos ?? 0, retain: options.retain ?? false }, (err) => {
      conn.publishes.delete(fail);
      if (err) {
        reject(
          new DaqdError('mqtt_publish', `mqtt: publish to '${topic}' failed: ${err.message}`, { cause: err }),
        );
      } else resolve();
    });
  });
}

/** MQTT.js's text for a CONNACK/SUBACK code (3.1.1 and 5 codes share one table). */
export function reasonName(code: number): string {
  return (ReasonCodes as Record<number, string | undefined>)[code] ?? `reason code ${code}`;
}

/** Why a connection failed or closed, for the log: the CONNACK refusal, the socket error, or the timeout. */
export function closeReason(conn: MqttConnection): string {
  if (conn.connack !== undefined && conn.connack !== 0) return reasonName(conn.connack);
  const err = conn.lastError as NodeJS.ErrnoException | undefined;
  if (err === undefined) return 'connection closed';
  if (typeof err.code === 'string') return err.code;
  if (err.message === 'connack timeout') return `no CONNACK within ${CONNECT_TIMEOUT_MS / 1000} s`;
  return err.message;
}

/** Ends the connection's client, gracefully where that cannot hang; resolves once it is closed. */
export function endConnection(conn: MqttConnection): Promise<void> {
  const { client } = conn;
  return new Promise<void>((resolve) => {
    // A graceful end() waits for PUBACKs of our own publishes and, before CONNACK, would leave
    // the socket connecting: force it in those cases (pending publishes are failed on close).
    const graceful = client.connected && Object.keys(client.outgoing).length === 0;
    const timer = setTimeout(() => client.stream.destroy(), END_TIMEOUT_MS);
    client.end(!graceful, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
