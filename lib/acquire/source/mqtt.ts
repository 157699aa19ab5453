import mqtt, { type IConnackPacket, type MqttClient, type Packet } from 'mqtt';
import type { MqttSettings } from '../../config/settings.js';
import { DaqdError, errorMessage } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import {
  closeReason,
  endConnection,
  isUsable,
  type MqttConnection,
  type MqttPublishOptions,
  newConnection,
  publishOn,
} from './mqtt-connection.js';
import { MqttInbound } from './mqtt-inbound.js';
import { leaveSharedGroup } from './mqtt-leave.js';
import { type MqttTlsFiles, mqttClientOptions, readTlsFiles } from './mqtt-options.js';
import { ReconnectSchedule } from './mqtt-reconnect.js';
import { ResumedRetained } from './mqtt-retained.js';
import { subscribeFilters } from './mqtt-subscribe.js';
import { MqttVersionChoice } from './mqtt-version.js';
import type { MessageHandler, Publisher, SettledMessageHandler, Source } from './source.js';

/** Everything an `MqttSource` needs. */
export interface MqttSourceContext {
  settings: MqttSettings;
  /** Stable per realm and host: the broker keys the persistent session (and its queue) on it. */
  clientId: string;
  /** MQTT filters to subscribe, e.g. `hiverize/#`. */
  topics: readonly string[];
  /** Subscribe as `$share/<group>/<topic>` so several daqd instances split the messages. */
  sharedGroup?: string | undefined;
  /**
   * Longest time `stop` spends leaving the shared group (see `leave`), milliseconds. Default
   * `DEFAULT_LEAVE_TIMEOUT_MS`.
   */
  leaveTimeout?: number | undefined;
  log: Log;
  onMessage: MessageHandler;
  /** Used instead of `onMessage` when given: no promise per message in flight. */
  onMessageSettled?: SettledMessageHandler | undefined;
}

/** Options of `MqttSource.stop`. */
export interface MqttStopOptions {
  /**
   * Longest wait for handlers in flight to settle, milliseconds. Messages whose handler has not
   * settled by then stay unacknowledged and come again with the next session. Default: no limit
   * (the process-wide shutdown deadline bounds it).
   */
  drainTimeout?: number;
}

/** `start()` returns by then at the latest, connected or not (e.g. a broker that drops SYNs). */
const START_WAIT_MS = 5_000;

/** Longest time leaving a shared group takes when the context does not say (`leaveTimeout`). */
const DEFAULT_LEAVE_TIMEOUT_MS = 5_000;

/** `leaving`: unsubscribed from the shared group, still taking what the broker sends (see `leave`). */
type State = 'idle' | 'running' | 'leaving' | 'stopping' | 'stopped';

/**
 * Subscribes a realm's topics on an MQTT broker and hands every message to `onMessage`.
 *
 * Delivery is at least once: the session is persistent (stable client id, no clean start, MQTT 5
 * session expiry "never") so the broker queues QoS 1 readings while daqd is down, and a QoS 1
 * message is acknowledged only after `onMessage` resolved for it. If `onMessage` rejects (it must
 * not), the message is left unacknowledged: the broker sends it again on the next connection, and
 * until then it holds one place of the Receive Maximum window. So the connection is then recycled, a
 * few seconds later or at once when such messages fill the window (see `MqttInbound.failed`). Up to
 * `receive_maximum` messages are handled at once; their PUBACKs go out in the order the handlers
 * settle. A handler that settles after its connection is gone sends no PUBACK (the packet id is
 * only valid on that connection); the broker redelivers the message, so it may be handled twice.
 *
 * It connects with MQTT 5 (Receive Maximum = `receive_maximum`) and falls back to 3.1.1 when the
 * broker does not speak 5. An unreachable broker is logged once and retried with backoff.
 *
 * The window is also kept on this side: a PUBLISH that comes while `receive_maximum` handlers are
 * busy waits, and no further packet is read, until one settles (TCP flow control then holds the
 * broker back). MQTT 3.1.1 has no Receive Maximum, and mosquitto 2.0.11 (Debian's) miscounts its
 * in-flight quota under load and sends thousands more; without this, memory grew with its queue.
 */
export class MqttSource implements Source, Publisher {
  private state: State = 'idle';
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private leavePromise: Promise<void> | undefined;
  private conn: MqttConnection | undefined;
  /** MQTT 5, or 3.1.1 when configured or when the broker does not speak 5. */
  private readonly protocol: MqttVersionChoice;
  /** Subscriptions confirmed by the broker since `start()`. */
  private subscribed = false;
  /** What the current outage was logged as; undefined while connected. */
  private outage: string | undefined;
  private readonly reconnect = new ReconnectSchedule(() => this.connect());
  private releaseStart: (() => void) | undefined;
  /** Takes the PUBLISHes: receive window, handlers in flight, their PUBACKs. */
  private readonly inbound: MqttInbound;
  /** Passes over the retained messages a resumed MQTT 3.1.1 session sends again. */
  private readonly retained: ResumedRetained;
  /** A connection ended on purpose (`recycle`), so its close is not logged as a loss. */
  private recycled: MqttConnection | undefined;
  private tls: MqttTlsFiles = {};
  private readonly url: string;
  private readonly filters: readonly string[];

  constructor(private readonly ctx: MqttSourceContext) {
    const { settings } = ctx;
    this.protocol = new MqttVersionChoice(settings.protocol_version);
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    this.url = `${settings.protocol}://${host}:${settings.port}`;
    this.filters = ctx.sharedGroup ? ctx.topics.map((t) => `$share/${ctx.sharedGroup}/${t}`) : ctx.topics;
    this.retained = new ResumedRetained({ log: ctx.log, url: this.url });
    this.inbound = new MqttInbound({
      log: ctx.log,
      onMessage: ctx.onMessage,
      onMessageSettled: ctx.onMessageSettled,
      window: Math.max(1, settings.receive_maximum),
      current: () => this.conn,
      running: () => this.state === 'running' || this.state === 'leaving',
      leaving: () => this.state === 'leaving',
      stopped: () => this.state === 'stopped',
      recycle: (conn, why) => this.recycle(conn, why),
    });
  }

  /** The broker's URL. */
  get origin(): string {
    return this.url;
  }

  /** True while a connection to the broker is up. */
  get connected(): boolean {
    return isUsable(this.conn);
  }

  /**
   * Reads the TLS files (a missing one throws), then connects. Resolves once subscribed, or after
   * the first failed attempt (retries go on in the background), or after a few seconds at most.
   */
  start(): Promise<void> {
    this.startPromise ??= this.begin();
    return this.startPromise;
  }

  private async begin(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.tls = await readTlsFiles(this.ctx.settings);
    if (this.state !== 'running') return;
    const started = new Promise<void>((resolve) => {
      this.releaseStart = resolve;
    });
    const cap = setTimeout(() => this.startDone(), START_WAIT_MS);
    this.connect();
    await started;
    clearTimeout(cap);
  }

  private startDone(): void {
    const release = this.releaseStart;
    this.releaseStart = undefined;
    release?.();
  }

  /**
   * Publishes on the current connection (e.g. an error topic). Fails fast with a `DaqdError` when
   * not connected, and when the connection drops before a QoS 1 publish is acknowledged: nothing
   * is queued for later.
   */
  publish(topic: string, payload: string | Buffer, options: MqttPublishOptions = {}): Promise<void> {
    return publishOn(this.conn, this.url, topic, payload, options);
  }

  /**
   * Stops taking messages, waits for handlers in flight (so their PUBACKs go out), then disconnects.
   * A member of a shared group leaves it first (`leave`). Otherwise it does not unsubscribe: the
   * broker keeps the session and queues for the next start. Idempotent.
   */
  stop(options: MqttStopOptions = {}): Promise<void> {
    this.stopPromise ??= this.leave().then(() => this.shutdown(options.drainTimeout));
    return this.stopPromise;
  }

  /**
   * With a shared group: unsubscribes the shared filters, so the broker hands this session's share to
   * the group's other members at once, and goes on handling and acknowledging what the broker still
   * sends (in flight and queued for this session) until it has nothing more, `timeoutMs` at most
   * (default: the context's `leaveTimeout`); then stops taking messages. A broker session with a
   * shared subscription left behind would otherwise go on collecting its share of every message
   * (mosquitto 2.0 keeps choosing a disconnected member) until this client id connects again, which
   * for an instance stopped for good is never. Without a shared group, or when not running, nothing.
   * The next `start` of the realm subscribes again. Idempotent; `stop` calls it.
   */
  leave(timeoutMs?: number): Promise<void> {
    this.leavePromise ??= this.leaveGroup(timeoutMs ?? this.ctx.leaveTimeout ?? DEFAULT_LEAVE_TIMEOUT_MS);
    return this.leavePromise;
  }

  private async leaveGroup(timeoutMs: number): Promise<void> {
    const group = this.ctx.sharedGroup;
    if (group === undefined || this.state !== 'running') return;
    this.state = 'leaving';
    // No reconnect from here on: a new connection would subscribe again.
    this.reconnect.cancel();
    this.startDone();
    const conn = this.conn;
    if (!isUsable(conn)) {
      this.ctx.log.warning(
        `mqtt: not connected to broker ${this.url}: cannot leave shared group '${group}'; the broker ` +
          `may keep handing a share of the messages to the session of '${this.ctx.clientId}' until a ` +
          'daqd connects with that client id again',
      );
      return;
    }
    await leaveSharedGroup({
      conn,
      filters: this.filters,
      group,
      clientId: this.ctx.clientId,
      url: this.url,
      inbound: this.inbound,
      log: this.ctx.log,
      timeoutMs,
    });
  }

  private async shutdown(drainTimeout: number | undefined): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    this.reconnect.cancel();
    this.startDone();
    // Packets MQTT.js still holds are passed over unacknowledged now (see MqttInbound.onPublish).
    this.inbound.resume(this.conn);
    await this.inbound.drain(drainTimeout);
    const conn = this.conn;
    // The PUBACKs of the handlers that just settled, before the connection ends.
    if (conn) this.inbound.writeAcks(conn);
    // From here on a late handler finds no connection and sends no PUBACK.
    this.conn = undefined;
    this.state = 'stopped';
    if (conn) await endConnection(conn);
  }

  private connect(): void {
    if (this.state !== 'running') return;
    const version = this.protocol.version;
    let client: MqttClient;
    try {
      const { settings, clientId } = this.ctx;
      client = mqtt.connect(mqttClientOptions({ settings, clientId, tls: this.tls, version }));
    } catch (err) {
      // MQTT.js refused its options (a configuration problem): say so, and do not throw from a timer.
      this.ctx.log.error(`mqtt: cannot connect to ${this.url}: ${errorMessage(err)}`);
      this.startDone();
      this.reconnect.slowest();
      return;
    }
    const conn = newConnection(client, version);
    this.conn = conn;
    client.handleMessage = (packet, callback) => {
      if (this.retained.passesOver(conn, packet)) this.retained.skip(packet, callback);
      else this.inbound.onPublish(conn, packet, callback);
    };
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'connack')
        conn.connack = (version === 5 ? packet.reasonCode : packet.returnCode) ?? 0;
    });
    client.on('connect', (connack) => this.onConnect(conn, connack));
    client.on('error', (err) => {
      conn.lastError = err;
    });
    client.on('close', () => this.onClose(conn));
    client.connect();
    client.stream.once('connect', () => {
      conn.socketOpen = true;
    });
  }

  private onConnect(conn: MqttConnection, connack: IConnackPacket): void {
    if (conn !== this.conn) return;
    conn.up = true;
    conn.upSince = Date.now();
    this.retained.connected(conn, connack.sessionPresent);
    if (this.state !== 'running') return;
    if (conn.version === 4 && this.protocol.guessed) {
      this.ctx.log.notice(`mqtt: broker ${this.url} closes MQTT 5 connections; using MQTT 3.1.1`);
    }
    const version = conn.version === 5 ? '5' : '3.1.1';
    const session = connack.sessionPresent ? 'session resumed' : 'new session';
    const line = `mqtt: connected to broker ${this.url} as '${this.ctx.clientId}' (MQTT ${version}, ${session})`;
    if (this.subscribed && !connack.sessionPresent) {
      // We had a session (subscribed on an earlier connection of this run): the broker lost it, e.g.
      // restarted without persistence, and with it the readings it held for daqd.
      this.ctx.log.warning(
        `${line}: the broker did not resume daqd's session; readings published while daqd was ` +
          "disconnected may be lost on the broker's side (is its persistence off?)",
      );
    } else if (this.outage === undefined) this.ctx.log.info(line);
    else this.ctx.log.notice(line);
    this.outage = undefined;
    // On the first connection of a run the topics are always subscribed (the configuration may have
    // changed since the session was made; MQTT 5 `rh = 1` keeps retained messages from coming twice).
    // Later, only when the broker lost the session.
    if (!this.subscribed || !connack.sessionPresent) this.subscribe(conn);
    else this.startDone();
  }

  private subscribe(conn: MqttConnection): void {
    subscribeFilters({
      conn,
      filters: this.filters,
      url: this.url,
      log: this.ctx.log,
      current: () => conn === this.conn,
      subscribed: () => {
        this.subscribed = true;
        this.startDone();
      },
    });
  }

  /** Ends a connection on purpose (see `MqttInbound.failed`); the usual reconnect with backoff follows. */
  private recycle(conn: MqttConnection, why: string): void {
    if (conn !== this.conn || conn.closed || this.state !== 'running') return;
    this.ctx.log.warning(`mqtt: ${why}; reconnecting to broker ${this.url} so it sends them again`);
    this.recycled = conn;
    conn.client.stream.destroy();
  }

  private onClose(conn: MqttConnection): void {
    if (conn.closed) return;
    conn.closed = true;
    const lost = new DaqdError(
      'mqtt_disconnected',
      `mqtt: connection to broker ${this.url} closed before PUBACK`,
    );
    for (const fail of conn.publishes) fail(lost);
    conn.publishes.clear();
    if (conn !== this.conn) return;
    this.conn = undefined;
    // Release MQTT.js's stores and timers of this connection; the next attempt gets a new client.
    conn.client.end(true);
    if (this.state !== 'running') return;

    if (conn.up) {
      this.reconnect.ended(conn.upSince);
      if (conn !== this.recycled) {
        this.ctx.log.warning(
          `mqtt: lost connection to broker ${this.url} (${closeReason(conn)}); reconnecting`,
        );
      }
      this.recycled = undefined;
      this.outage = 'unreachable';
      this.protocol.connectionLost();
      this.reconnect.backoff();
      return;
    }

    const fallback = this.protocol.notAccepted(conn);
    if (fallback === 'refused') {
      this.ctx.log.notice(`mqtt: broker ${this.url} does not support MQTT 5; using MQTT 3.1.1`);
      this.reconnect.after(0);
      return;
    }
    if (fallback === 'guessed') {
      this.ctx.log.debug(
        `mqtt: broker ${this.url} closed the connection after an MQTT 5 CONNECT; trying 3.1.1`,
      );
      this.reconnect.after(0);
      return;
    }

    const refused = conn.connack !== undefined && conn.connack !== 0;
    const kind = refused ? `refused ${conn.connack}` : 'unreachable';
    if (kind !== this.outage) {
      const reason = closeReason(conn);
      this.ctx.log.warning(
        refused
          ? `mqtt: broker ${this.url} refused the connection (${reason}); retrying`
          : `mqtt: cannot reach broker ${this.url} (${reason}); retrying`,
      );
      this.outage = kind;
    } else if (this.ctx.log.isDebug()) {
      this.ctx.log.debug(`mqtt: still cannot connect to ${this.url} (${closeReason(conn)})`);
    }
    this.startDone();
    this.reconnect.backoff();
  }
}
