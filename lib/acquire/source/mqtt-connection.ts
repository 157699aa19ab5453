import { type MqttClient, ReasonCodes } from 'mqtt';
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
