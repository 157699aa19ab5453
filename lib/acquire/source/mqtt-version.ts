import type { MqttConnection } from './mqtt-connection.js';

/** CONNACK codes that mean "not this protocol version": 3.1.1 `1`, MQTT 5 `0x84`. */
const UNSUPPORTED_VERSION = new Set([1, 0x84]);
/** Socket errors a 3.1.1 broker may answer an MQTT 5 CONNECT with instead of a CONNACK. */
const CLOSED_BY_PEER = new Set(['ECONNRESET', 'EPIPE']);

/**
 * The MQTT version of the next connection attempt: MQTT 5 unless 3.1.1 is configured, 3.1.1 once
 * the broker refused 5 (kept), or once it dropped an MQTT 5 CONNECT without a CONNACK (a guess,
 * checked again after the next lost connection). Decides only; the caller logs and reconnects.
 */
export class MqttVersionChoice {
  /** Protocol level of the next attempt: 4 = 3.1.1, 5 = MQTT 5. */
  version: 4 | 5;
  /** Why 3.1.1 is used: configured, refused by the broker (kept), or guessed from a dropped connection (re-probed). */
  private source: 'configured' | 'refused' | 'guessed' | undefined;

  constructor(configured: 4 | 5) {
    this.version = configured;
    this.source = configured === 4 ? 'configured' : undefined;
  }

  /** 3.1.1 is in use only because the broker dropped an MQTT 5 CONNECT. */
  get guessed(): boolean {
    return this.source === 'guessed';
  }

  /** A connection that was up has been lost. */
  connectionLost(): void {
    // A guessed fallback is checked again: the drop that suggested it may have been a restart.
    if (this.source === 'guessed') this.use(5, undefined);
  }

  /**
   * A connection closed before a CONNACK accepted it. Returns the fallback to 3.1.1 this makes
   * (`refused`: the broker's CONNACK said so; `guessed`: it closed the socket on an MQTT 5 CONNECT),
   * or undefined when the close says nothing about the version.
   */
  notAccepted(conn: MqttConnection): 'refused' | 'guessed' | undefined {
    if (conn.version === 5 && this.source !== 'configured') {
      if (conn.connack !== undefined && UNSUPPORTED_VERSION.has(conn.connack)) {
        this.use(4, 'refused');
        return 'refused';
      }
      const code = (conn.lastError as NodeJS.ErrnoException | undefined)?.code;
      if (
        conn.connack === undefined &&
        conn.socketOpen &&
        (conn.lastError === undefined || CLOSED_BY_PEER.has(code ?? ''))
      ) {
        this.use(4, 'guessed');
        return 'guessed';
      }
    } else if (this.source === 'guessed') {
      this.use(5, undefined);
    }
    return undefined;
  }

  private use(version: 4 | 5, source: 'refused' | 'guessed' | undefined): void {
    this.version = version;
    this.source = source;
  }
}
