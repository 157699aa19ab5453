import { readFile } from 'node:fs/promises';
import mqtt, {
  ErrorWithSubackPacket,
  type IClientOptions,
  type IConnackPacket,
  type IPublishPacket,
  type ISubscriptionMap,
  type MqttClient,
  type Packet,
  ReasonCodes,
} from 'mqtt';
import type { MqttSettings } from '../../config/settings.js';
import { backoffDelay } from '../../core/backoff-delay.js';
import { nowNs } from '../../core/clock.js';
import { DaqdError, errorMessage } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { InboundMessage, MessageHandler, Source } from './source.js';

/** Everything an `MqttSource` needs. */
export interface MqttSourceContext {
  settings: MqttSettings;
  /** Stable per realm and host: the broker keys the persistent session (and its queue) on it. */
  clientId: string;
  /** MQTT filters to subscribe, e.g. `hiverize/#`. */
  topics: readonly string[];
  /** Subscribe as `$share/<group>/<topic>` so several daqd instances split the messages. */
  sharedGroup?: string | undefined;
  log: Log;
  onMessage: MessageHandler;
}

/** Options of `MqttSource.publish`. */
export interface MqttPublishOptions {
  /** Default 0. */
  qos?: 0 | 1;
  /** Default false. */
  retain?: boolean;
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

/** MQTT 5 session lifetime after a disconnect: never expire, like a 3.1.1 `clean = false` session. */
const SESSION_EXPIRY_NEVER = 0xffffffff;
/** CONNACK codes that mean "not this protocol version": 3.1.1 `1`, MQTT 5 `0x84`. */
const UNSUPPORTED_VERSION = new Set([1, 0x84]);
/** Socket errors a 3.1.1 broker may answer an MQTT 5 CONNECT with instead of a CONNACK. */
const CLOSED_BY_PEER = new Set(['ECONNRESET', 'EPIPE']);
const CONNECT_TIMEOUT_MS = 10_000;
/** `start()` returns by then at the latest, connected or not (e.g. a broker that drops SYNs). */
const START_WAIT_MS = 5_000;
/** A graceful `end()` that takes longer than this is cut short. */
const END_TIMEOUT_MS = 2_000;
/** Retry delays (ms): the first about RETRY_BASE, doubling up to RETRY_MAX, with jitter. */
const RETRY_BASE = 500;
const RETRY_MAX = 30_000;
/**
 * A connection that lasted this long resets the backoff. A shorter one does not, so a broker that
 * accepts and then drops us (e.g. another client with our id) is retried ever more slowly.
 */
const STABLE_MS = 30_000;

/**
 * Passed to MQTT.js's `handleMessage` callback to keep it from sending its own PUBACK.
 * See `onPublish` for why.
 */
const DEFER_PUBACK = new Error('PUBACK deferred until the handler settles');

/** MQTT.js's own packet trace is wanted (`DEBUG=mqttjs*`). */
const TRACE_MQTTJS = /mqttjs/.test(process.env['DEBUG'] ?? '');
const noTrace = (): void => {};

/** One network connection (one MQTT.js client); a reconnect makes a new one. */
interface Connection {
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
  /** Takes the PUBLISH held while `receive_maximum` handlers are busy (see `onPublish`). */
  paused: (() => void) | undefined;
  /** Packet ids to acknowledge with the next write (see `ack`). */
  acks: number[];
}

/** MQTT.js's text for a CONNACK/SUBACK code (3.1.1 and 5 codes share one table). */
function reasonName(code: number): string {
  return (ReasonCodes as Record<number, string | undefined>)[code] ?? `reason code ${code}`;
}

type State = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * Subscribes a realm's topics on an MQTT broker and hands every message to `onMessage`.
 *
 * Delivery is at least once: the session is persistent (stable client id, no clean start, MQTT 5
 * session expiry "never") so the broker queues QoS 1 readings while daqd is down, and a QoS 1
 * message is acknowledged only after `onMessage` resolved for it. If `onMessage` rejects (it must
 * not), the message is logged at error and left unacknowledged: the broker sends it again on the
 * next connection, and until then it holds one place of the Receive Maximum window. Up to
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
export class MqttSource implements Source {
  private state: State = 'idle';
  private startPromise: Promise<void> | undefined;
  private stopPromise: Promise<void> | undefined;
  private conn: Connection | undefined;
  private version: 4 | 5;
  /** Why 3.1.1 is used: configured, refused by the broker (kept), or guessed from a dropped connection (re-probed). */
  private versionSource: 'configured' | 'refused' | 'guessed' | undefined;
  /** Subscriptions confirmed by the broker since `start()`. */
  private subscribed = false;
  /** What the current outage was logged as; undefined while connected. */
  private outage: string | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private releaseStart: (() => void) | undefined;
  /** Messages whose handler has not settled yet. */
  private inflight = 0;
  /** Called when `inflight` drops to zero (`drain` waits for it). */
  private readonly idleWaiters = new Set<() => void>();
  /** Handlers in flight at most (`receive_maximum`), whatever the broker sends. */
  private readonly window: number;
  /** Failed or short-lived connections in a row: the step on the backoff schedule. */
  private failures = 0;
  private tls: Pick<IClientOptions, 'ca' | 'cert' | 'key'> = {};
  private readonly url: string;
  private readonly filters: readonly string[];

  constructor(private readonly ctx: MqttSourceContext) {
    const { settings } = ctx;
    this.version = settings.protocol_version;
    this.versionSource = settings.protocol_version === 4 ? 'configured' : undefined;
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    this.url = `${settings.protocol}://${host}:${settings.port}`;
    this.filters = ctx.sharedGroup ? ctx.topics.map((t) => `$share/${ctx.sharedGroup}/${t}`) : ctx.topics;
    this.window = Math.max(1, settings.receive_maximum);
  }

  /** The broker's URL. */
  get origin(): string {
    return this.url;
  }

  /** True while a connection to the broker is up. */
  get connected(): boolean {
    return this.conn?.up === true && this.conn.client.connected;
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
    this.tls = await this.readTlsFiles();
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
    const conn = this.conn;
    if (!conn?.up || conn.closed || !conn.client.connected) {
      return Promise.reject(
        new DaqdError(
          'mqtt_disconnected',
          `mqtt: cannot publish to '${topic}': not connected to broker ${this.url}`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => reject(err);
      conn.publishes.add(fail);
      conn.client.publish(
        topic,
        payload,
        { qos: options.qos ?? 0, retain: options.retain ?? false },
        (err) => {
          conn.publishes.delete(fail);
          if (err) {
            reject(
              new DaqdError('mqtt_publish', `mqtt: publish to '${topic}' failed: ${err.message}`, {
                cause: err,
              }),
            );
          } else resolve();
        },
      );
    });
  }

  /**
   * Stops taking messages, waits for handlers in flight (so their PUBACKs go out), then disconnects.
   * Does not unsubscribe: the broker keeps the session and queues for the next start. Idempotent.
   */
  stop(options: MqttStopOptions = {}): Promise<void> {
    this.stopPromise ??= this.shutdown(options.drainTimeout);
    return this.stopPromise;
  }

  private async shutdown(drainTimeout: number | undefined): Promise<void> {
    if (this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.startDone();
    // Packets MQTT.js still holds are passed over unacknowledged now (see onPublish).
    this.resume(this.conn);
    await this.drain(drainTimeout);
    const conn = this.conn;
    // The PUBACKs of the handlers that just settled, before the connection ends.
    if (conn) this.writeAcks(conn);
    // From here on a late handler finds no connection and sends no PUBACK.
    this.conn = undefined;
    this.state = 'stopped';
    if (conn) await this.endClient(conn);
  }

  private async drain(timeoutMs: number | undefined): Promise<void> {
    if (this.inflight === 0) return;
    let wake: () => void = () => {};
    const settled = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.idleWaiters.add(wake);
    });
    if (timeoutMs === undefined) {
      await settled;
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = await Promise.race([settled, expired]);
    clearTimeout(timer);
    this.idleWaiters.delete(wake);
    if (!drained) {
      this.ctx.log.warning(
        `mqtt: ${this.inflight} message(s) still in the handler after ${timeoutMs} ms; ` +
          'leaving them unacknowledged for the broker to send again',
      );
    }
  }

  /** One handler settled: takes the next PUBLISH if the window was full; wakes `drain` after the last. */
  private settled(): void {
    this.inflight--;
    if (this.inflight < this.window) this.resume(this.conn);
    if (this.inflight > 0 || this.idleWaiters.size === 0) return;
    for (const wake of this.idleWaiters) wake();
    this.idleWaiters.clear();
  }

  private endClient(conn: Connection): Promise<void> {
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

  private async readTlsFiles(): Promise<Pick<IClientOptions, 'ca' | 'cert' | 'key'>> {
    const { ca_file, cert_file, key_file } = this.ctx.settings;
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

  private clientOptions(version: 4 | 5): IClientOptions {
    const { settings, clientId } = this.ctx;
    return {
      protocol: settings.protocol,
      host: settings.host,
      port: settings.port,
      username: settings.username,
      password: settings.password,
      ...this.tls,
      rejectUnauthorized: !settings.tls_insecure,
      clientId,
      clean: false,
      keepalive: settings.keepalive,
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
      // MQTT.js traces each packet through `debug` even while it is off, several calls per message:
      // skipped unless its trace is asked for (DEBUG=mqttjs*).
      ...(TRACE_MQTTJS ? {} : { log: noTrace }),
    };
  }

  private connect(): void {
    this.retryTimer = undefined;
    if (this.state !== 'running') return;
    const version = this.version;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.clientOptions(version));
    } catch (err) {
      // MQTT.js refused its options (a configuration problem): say so, and do not throw from a timer.
      this.ctx.log.error(`mqtt: cannot connect to ${this.url}: ${errorMessage(err)}`);
      this.retry(RETRY_MAX);
      return;
    }
    const conn: Connection = {
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
    this.conn = conn;
    client.handleMessage = (packet, callback) => this.onPublish(conn, packet, callback);
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

  private onConnect(conn: Connection, connack: IConnackPacket): void {
    if (conn !== this.conn) return;
    conn.up = true;
    conn.upSince = Date.now();
    if (this.state !== 'running') return;
    if (conn.version === 4 && this.versionSource === 'guessed') {
      this.ctx.log.notice(`mqtt: broker ${this.url} closes MQTT 5 connections; using MQTT 3.1.1`);
    }
    const version = conn.version === 5 ? '5' : '3.1.1';
    const session = connack.sessionPresent ? 'session resumed' : 'new session';
    const line = `mqtt: connected to broker ${this.url} as '${this.ctx.clientId}' (MQTT ${version}, ${session})`;
    if (this.outage === undefined) this.ctx.log.info(line);
    else this.ctx.log.notice(line);
    this.outage = undefined;
    // On the first connection of a run the topics are always subscribed (the configuration may have
    // changed since the session was made; MQTT 5 `rh = 1` keeps retained messages from coming twice).
    // Later, only when the broker lost the session.
    if (!this.subscribed || !connack.sessionPresent) this.subscribe(conn);
    else this.startDone();
  }

  private subscribe(conn: Connection): void {
    if (this.filters.length === 0) {
      this.subscribed = true;
      this.startDone();
      return;
    }
    const map: ISubscriptionMap = {};
    for (const filter of this.filters) map[filter] = conn.version === 5 ? { qos: 1, rh: 1 } : { qos: 1 };
    conn.client.subscribe(map, (err, granted) => {
      if (conn !== this.conn) return;
      let codes: readonly number[];
      if (err instanceof ErrorWithSubackPacket) codes = err.packet.granted as number[];
      else if (err) {
        // The connection went away; the next one subscribes again.
        this.ctx.log.debug(`mqtt: subscribe interrupted: ${err.message}`);
        return;
      } else codes = (granted ?? []).map((g) => g.qos);
      this.filters.forEach((filter, i) => {
        const code = codes[i] ?? 0;
        if (code >= 0x80) {
          const reason = reasonName(code);
          this.ctx.log.error(`mqtt: broker ${this.url} refused the subscription '${filter}' (${reason})`);
        }
      });
      this.subscribed = true;
      this.ctx.log.debug(`mqtt: subscribed ${this.filters.map((f) => `'${f}'`).join(', ')}`);
      this.startDone();
    });
  }

  /**
   * MQTT.js hook for each incoming PUBLISH. MQTT.js handles one inbound packet at a time: it
   * sends the PUBACK and reads the next packet only after `handleMessage`'s callback (and
   * `customHandleAcks`' done, which also exists only for MQTT 5) is called. Holding either until
   * the handler settles would serialise the stream to one message per store round trip, whatever
   * the Receive Maximum. So the callback is called at once, with an error for QoS 1, which makes
   * MQTT.js skip its PUBACK and go on with the next packet; the PUBACK is written later by `ack`,
   * when the handler resolves. Many messages are thus in flight and acknowledged out of order, as
   * MQTT allows for QoS 1. A PUBLISH that arrives while `receive_maximum` handlers are busy (the
   * broker overran the window) is held, and MQTT.js with it, until one of them settles (`settled` →
   * `resume`). A broker that keeps the window never meets this, so its PINGRESPs are never held up.
   */
  private onPublish(conn: Connection, packet: IPublishPacket, callback: (err?: Error) => void): void {
    const receivedAt = nowNs();
    if (this.inflight >= this.window && conn === this.conn && this.state === 'running') {
      // The broker sent more than the window allows: this message waits, and MQTT.js with it.
      conn.paused = () => this.take(conn, packet, callback, receivedAt);
      return;
    }
    this.take(conn, packet, callback, receivedAt);
  }

  /** Hands one PUBLISH to the handler (see `onPublish`). */
  private take(
    conn: Connection,
    packet: IPublishPacket,
    callback: (err?: Error) => void,
    receivedAt: bigint,
  ): void {
    // QoS 2 is never granted (we subscribe with QoS 1); its PUBREL arrives here and completes at once.
    const next = packet.qos === 1 ? DEFER_PUBACK : undefined;
    if (conn !== this.conn || this.state !== 'running') {
      // Stopping or an old connection: not handled, not acknowledged, so the broker sends it again.
      callback(next);
      return;
    }
    const topic = packet.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const message: InboundMessage = { topic, payload, receivedAt };
    const messageId = packet.qos === 1 ? packet.messageId : undefined;
    // One promise reaction per message, and a counter instead of a set of promises: this runs for
    // every reading, and each object that outlives a batch write is garbage the GC must promote.
    let handled: Promise<void>;
    this.inflight++;
    try {
      handled = this.ctx.onMessage(message);
    } catch (err) {
      handled = Promise.reject(err);
    }
    // Only now: MQTT.js may read and hand over the next packet from within the callback, and that one
    // must find this message counted and already handed on, in arrival order.
    callback(next);
    handled.then(
      () => {
        if (messageId !== undefined) this.ack(conn, messageId);
        this.settled();
      },
      (err: unknown) => {
        this.ctx.log.error(
          `mqtt: handler failed for '${topic}': ${errorMessage(err)}; not acknowledged, the broker sends it again on the next connection`,
        );
        this.settled();
      },
    );
  }

  /** Lets MQTT.js go on with the next packet of a connection paused by a full window. */
  private resume(conn: Connection | undefined): void {
    const paused = conn?.paused;
    if (conn === undefined || paused === undefined) return;
    conn.paused = undefined;
    paused();
  }

  /**
   * Queues the PUBACK of a stored message. A batch write settles hundreds of handlers at once: their
   * PUBACKs go out as one socket write on the next tick, not one MQTT.js packet (several small
   * buffers) each.
   */
  private ack(conn: Connection, messageId: number): void {
    conn.acks.push(messageId);
    if (conn.acks.length === 1) process.nextTick(() => this.writeAcks(conn));
  }

  /**
   * Writes the queued PUBACKs: `0x40 0x02 <id>` each, the same bytes in MQTT 3.1.1 and 5 (MQTT 5
   * §3.4.2.1: reason code 0 without properties may be left out).
   */
  private writeAcks(conn: Connection): void {
    const ids = conn.acks;
    conn.acks = [];
    // A packet id means something only on the connection (and session) it came with: after a
    // reconnect it may name another message. The broker redelivers these instead.
    if (conn.closed || this.state === 'stopped' || !conn.client.connected || ids.length === 0) {
      if (this.ctx.log.isDebug() && ids.length > 0)
        this.ctx.log.debug(`mqtt: connection gone, no PUBACK for ${ids.length} message(s)`);
      return;
    }
    const packets = Buffer.allocUnsafe(ids.length * 4);
    for (let i = 0; i < ids.length; i++) {
      const at = i * 4;
      packets[at] = 0x40;
      packets[at + 1] = 2;
      packets.writeUInt16BE(ids[i]!, at + 2);
    }
    conn.client.stream.write(packets);
  }

  private onClose(conn: Connection): void {
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
      if (Date.now() - conn.upSince >= STABLE_MS) this.failures = 0;
      this.ctx.log.warning(
        `mqtt: lost connection to broker ${this.url} (${this.reason(conn)}); reconnecting`,
      );
      this.outage = 'unreachable';
      // A guessed fallback is checked again: the drop that suggested it may have been a restart.
      if (this.versionSource === 'guessed') this.useVersion(5, undefined);
      this.retry(this.nextDelay());
      return;
    }

    if (conn.version === 5 && this.versionSource !== 'configured') {
      if (conn.connack !== undefined && UNSUPPORTED_VERSION.has(conn.connack)) {
        this.ctx.log.notice(`mqtt: broker ${this.url} does not support MQTT 5; using MQTT 3.1.1`);
        this.useVersion(4, 'refused');
        this.retry(0);
        return;
      }
      const code = (conn.lastError as NodeJS.ErrnoException | undefined)?.code;
      if (
        conn.connack === undefined &&
        conn.socketOpen &&
        (conn.lastError === undefined || CLOSED_BY_PEER.has(code ?? ''))
      ) {
        this.ctx.log.debug(
          `mqtt: broker ${this.url} closed the connection after an MQTT 5 CONNECT; trying 3.1.1`,
        );
        this.useVersion(4, 'guessed');
        this.retry(0);
        return;
      }
    } else if (this.versionSource === 'guessed') {
      this.useVersion(5, undefined);
    }

    const refused = conn.connack !== undefined && conn.connack !== 0;
    const kind = refused ? `refused ${conn.connack}` : 'unreachable';
    if (kind !== this.outage) {
      const reason = this.reason(conn);
      this.ctx.log.warning(
        refused
          ? `mqtt: broker ${this.url} refused the connection (${reason}); retrying`
          : `mqtt: cannot reach broker ${this.url} (${reason}); retrying`,
      );
      this.outage = kind;
    } else if (this.ctx.log.isDebug()) {
      this.ctx.log.debug(`mqtt: still cannot connect to ${this.url} (${this.reason(conn)})`);
    }
    this.startDone();
    this.retry(this.nextDelay());
  }

  private useVersion(version: 4 | 5, source: 'refused' | 'guessed' | undefined): void {
    this.version = version;
    this.versionSource = source;
  }

  private nextDelay(): number {
    return backoffDelay(this.failures++, RETRY_BASE, RETRY_MAX);
  }

  private retry(delayMs: number): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
  }

  private reason(conn: Connection): string {
    if (conn.connack !== undefined && conn.connack !== 0) return reasonName(conn.connack);
    const err = conn.lastError as NodeJS.ErrnoException | undefined;
    if (err === undefined) return 'connection closed';
    if (typeof err.code === 'string') return err.code;
    if (err.message === 'connack timeout') return `no CONNACK within ${CONNECT_TIMEOUT_MS / 1000} s`;
    return err.message;
  }
}
