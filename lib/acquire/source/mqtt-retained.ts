import type { IPublishPacket } from 'mqtt';
import type { Log } from '../../core/log.js';
import type { MqttConnection } from './mqtt-connection.js';

/**
 * Passes over (acknowledges, does not handle) the retained messages on a resumed MQTT 3.1.1 session.
 * Each run subscribes again (see `MqttSource.onConnect`), and a 3.1.1 broker then sends every retained
 * message of the filters anew, RETAIN set (MQTT 3.1.1, 3.8.4): a reading the session delivered before,
 * which would be stored once more, with a new receive time, on every restart. What the session queued
 * meanwhile comes with RETAIN cleared (3.3.1.3) and is handled as usual. MQTT 5 asks the broker not
 * to send them at all (`rh = 1`). One case 3.1.1 cannot tell apart: a filter added to the app since
 * the session was made has its retained messages passed over too.
 */
export class ResumedRetained {
  /** An MQTT 3.1.1 connection whose session the broker resumed. */
  private resumedV4: MqttConnection | undefined;
  /** Retained messages passed over on `resumedV4`. */
  private skipped = 0;

  constructor(private readonly ctx: { log: Log; url: string }) {}

  /** Notes a connection accepted with CONNACK's `sessionPresent`. */
  connected(conn: MqttConnection, sessionPresent: boolean): void {
    this.resumedV4 = conn.version === 4 && sessionPresent ? conn : undefined;
    this.skipped = 0;
  }

  /** Whether `packet` on `conn` is to be passed over (see `skip`). */
  passesOver(conn: MqttConnection, packet: IPublishPacket): boolean {
    return packet.retain && conn === this.resumedV4;
  }

  /** Passes over `packet`: `callback` lets MQTT.js send its PUBACK. */
  skip(packet: IPublishPacket, callback: () => void): void {
    const { log, url } = this.ctx;
    if (this.skipped++ === 0) {
      log.info(
        `mqtt: passing over the retained messages broker ${url} sends again on subscribing ` +
          '(MQTT 3.1.1, session resumed: daqd has had them)',
      );
    } else if (log.isDebug()) {
      log.debug(`mqtt: retained message on '${packet.topic}' passed over`);
    }
    // MQTT.js sends the PUBACK.
    callback();
  }
}
