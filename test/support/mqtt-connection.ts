import type { MqttClient } from 'mqtt';
import type { MqttConnection } from '../../lib/acquire/source/mqtt-connection.js';

/** A connection whose socket keeps what is written to it (PUBACKs are written straight to the stream). */
export type RecordingConnection = MqttConnection & { written: Buffer[] };

/** An up, current-looking `MqttConnection` without a socket, for driving `MqttInbound` directly. */
export function recordingConnection(): RecordingConnection {
  const written: Buffer[] = [];
  const stream = {
    write: (chunk: Buffer) => {
      written.push(Buffer.from(chunk));
      return true;
    },
  };
  return {
    client: { connected: true, stream } as unknown as MqttClient,
    version: 5,
    socketOpen: true,
    connack: 0,
    up: true,
    upSince: Date.now(),
    lastError: undefined,
    closed: false,
    publishes: new Set(),
    paused: undefined,
    acks: [],
    written,
  };
}
