import type { IPublishPacket } from 'mqtt';
import { nowNs } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { MqttConnection } from './mqtt-connection.js';
import {
  type InboundMessage,
  type MessageHandler,
  type MessageOutcome,
  type SettledMessageHandler,
  tellOutcome,
} from './source.js';

/**
 * Passed to MQTT.js's `handleMessage` callback to keep it from sending its own PUBACK.
 * See `onPublish` for why.
 */
const DEFER_PUBACK = new Error('PUBACK deferred until the handler settles');

/**
 * Ms from a handler's failure until the connection is recycled. The broker sends an unacknowledged
 * message again only on a new connection; waiting a little lets the failures of one outage share a
 * reconnect. Sooner when unacknowledged messages take the whole window (nothing else can come).
 */
const RECYCLE_AFTER_MS = 5_000;

/** What `MqttInbound` needs of its `MqttSource`. */
export interface MqttInboundContext {
  log: Log;
  onMessage: MessageHandler;
  /** Used instead of `onMessage` when given (see `SettledMessageHandler`). */
  onMessageSettled?: SettledMessageHandler | undefined;
  /** Handlers in flight at most (`receive_maximum`), whatever the broker sends. */
  window: number;
  /** The source's current connection; a PUBLISH of any other is not handled. */
  current(): MqttConnection | undefined;
  /** The source takes messages (started, not stopping; also while it leaves its shared group). */
  running(): boolean;
  /**
   * The source is leaving its shared group (see `leaveSharedGroup`): it takes what the broker still
   * sends, but a failed message is not worth a new connection (it would subscribe again).
   */
  leaving(): boolean;
  /** The source has stopped: no PUBACK goes out any more. */
  stopped(): boolean;
  /** Ends the connection and makes a new one, so the broker sends its unacknowledged messages again. */
  recycle(conn: MqttConnection, why: string): void;
}

/** Messages of one connection whose handler failed: they stay unacknowledged until it is recycled. */
interface Unacknowledged {
  conn: MqttConnection;
  count: number;
  timer: NodeJS.Timeout;
}

/**
 * The inbound side of an `MqttSource`: hands each PUBLISH of the current connection to the handler,
 * keeps at most `window` handlers in flight, writes the PUBACK of a QoS 1 message only after its
 * handler resolved, and lets `stop` wait for the handlers in flight (`drain`).
 */
export class MqttInbound {
  /** Messages whose handler has not settled yet. */
  private inflight = 0;
  /** Called when `inflight` drops to zero (`drain` waits for it). */
  private readonly idleWaiters = new Set<() => void>();
  /** Failed messages of the current connection, until it is recycled. */
  private unacknowledged: Unacknowledged | undefined;
  /** Messages handed to the handler since the start (a PUBLISH counts once it is taken). */
  private takenCount = 0;
  /** Messages whose handler failed while leaving: left unacknowledged in the broker session. */
  private failedLeaving = 0;
  /** The context's handler; `onMessage` told through an outcome when there is no `onMessageSettled`. */
  private readonly handle: SettledMessageHandler;

  constructor(private readonly ctx: MqttInboundContext) {
    const onMessage = ctx.onMessage;
    this.handle = ctx.onMessageSettled ?? ((message, outcome) => tellOutcome(onMessage(message), outcome));
  }

  /** Messages handed to the handler so far. */
  get taken(): number {
    return this.takenCount;
  }

  /** Messages whose handler has not settled yet. */
  get busy(): number {
    return this.inflight;
  }

  /** Messages whose handler failed while the source left its shared group (not acknowledged). */
  get failedWhileLeaving(): number {
    return this.failedLeaving;
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
  onPublish(conn: MqttConnection, packet: IPublishPacket, callback: (err?: Error) => void): void {
    const receivedAt = nowNs();
    if (this.inflight >= this.ctx.window && conn === this.ctx.current() && this.ctx.running()) {
      // The broker sent more than the window allows: this message waits, and MQTT.js with it.
      conn.paused = () => this.take(conn, packet, callback, receivedAt);
      return;
    }
    this.take(conn, packet, callback, receivedAt);
  }

  /** Hands one PUBLISH to the handler (see `onPublish`). */
  private take(
    conn: MqttConnection,
    packet: IPublishPacket,
    callback: (err?: Error) => void,
    receivedAt: bigint,
  ): void {
    // QoS 2 is never granted (we subscribe with QoS 1); its PUBREL arrives here and completes at once.
    const next = packet.qos === 1 ? DEFER_PUBACK : undefined;
    if (conn !== this.ctx.current() || !this.ctx.running()) {
      // Stopping or an old connection: not handled, not acknowledged, so the broker sends it again.
      callback(next);
      return;
    }
    const topic = packet.topic;
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const message: InboundMessage = { topic, payload, receivedAt };
    const messageId = packet.qos === 1 ? packet.messageId : undefined;
    this.inflight++;
    this.takenCount++;
    // One small object per message in flight: each object that outlives a batch write is garbage the
    // GC must copy and promote.
    const outcome = new InboundOutcome(this, conn, topic, messageId);
    try {
      this.handle(message, outcome);
    } catch (err) {
      queueMicrotask(() => outcome.failed(err));
    }
    // Only now: MQTT.js may read and hand over the next packet from within the callback, and that one
    // must find this message counted and already handed on, in arrival order.
    callback(next);
  }

  /** A message's handler is done with it: its PUBACK is queued (QoS 1), and the window has room. */
  finished(conn: MqttConnection, messageId: number | undefined): void {
    if (messageId !== undefined) this.ack(conn, messageId);
    this.settled();
  }

  /** A message's handler failed: it stays unacknowledged (see `failed`), and the window has room. */
  finishedWithError(conn: MqttConnection, topic: string, err: unknown): void {
    this.failed(conn, topic, err);
    this.settled();
  }

  /**
   * A handler failed: its message stays unacknowledged, and the broker sends it again only on a new
   * connection. The first failure of a connection is logged; the connection is recycled after
   * `RECYCLE_AFTER_MS`, or at once when failed messages fill the window, saying how many there were.
   */
  private failed(conn: MqttConnection, topic: string, err: unknown): void {
    if (this.ctx.leaving()) this.failedLeaving++;
    if (conn !== this.ctx.current() || !this.ctx.running() || this.ctx.leaving()) {
      // Stopping or leaving, or the connection is gone already: the next session brings it again.
      if (this.ctx.log.isDebug())
        this.ctx.log.debug(`mqtt: handler failed for '${topic}' (${errorMessage(err)}); not acknowledged`);
      return;
    }
    let held = this.unacknowledged;
    if (held?.conn !== conn) {
      if (held !== undefined) clearTimeout(held.timer);
      this.ctx.log.error(
        `mqtt: handler failed for '${topic}': ${errorMessage(err)}; not acknowledged, reconnecting ` +
          `within ${RECYCLE_AFTER_MS / 1000} s so the broker sends it again (further failures are counted)`,
      );
      const timer = setTimeout(() => this.recycle(conn), RECYCLE_AFTER_MS);
      timer.unref();
      held = { conn, count: 0, timer };
      this.unacknowledged = held;
    }
    held.count++;
    if (held.count >= this.ctx.window) this.recycle(conn);
  }

  private recycle(conn: MqttConnection): void {
    const held = this.unacknowledged;
    if (held?.conn !== conn) return;
    clearTimeout(held.timer);
    this.unacknowledged = undefined;
    if (conn !== this.ctx.current() || !this.ctx.running()) return;
    this.ctx.recycle(conn, `${held.count} message(s) not stored, left unacknowledged`);
  }

  /** Lets MQTT.js go on with the next packet of a connection paused by a full window. */
  resume(conn: MqttConnection | undefined): void {
    const paused = conn?.paused;
    if (conn === undefined || paused === undefined) return;
    conn.paused = undefined;
    paused();
  }

  /** One handler settled: takes the next PUBLISH if the window was full; wakes `drain` after the last. */
  private settled(): void {
    this.inflight--;
    if (this.inflight < this.ctx.window) this.resume(this.ctx.current());
    if (this.inflight > 0 || this.idleWaiters.size === 0) return;
    for (const wake of this.idleWaiters) wake();
    this.idleWaiters.clear();
  }

  /**
   * Waits until no handler is in flight, or `timeoutMs` at most (no limit when undefined); on
   * timeout, logs how many are left unacknowledged.
   */
  async drain(timeoutMs: number | undefined): Promise<void> {
    if (await this.idle(timeoutMs)) return;
    this.ctx.log.warning(
      `mqtt: ${this.inflight} message(s) still in the handler after ${timeoutMs} ms; ` +
        'leaving them unacknowledged for the broker to send again',
    );
  }

  /** Resolves true once no handler is in flight, false after `timeoutMs` (no limit when undefined). */
  async idle(timeoutMs: number | undefined): Promise<boolean> {
    if (this.inflight === 0) return true;
    let wake: () => void = () => {};
    const settled = new Promise<boolean>((resolve) => {
      wake = () => resolve(true);
      this.idleWaiters.add(wake);
    });
    if (timeoutMs === undefined) return settled;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(timeoutMs, 0));
    });
    const drained = await Promise.race([settled, expired]);
    clearTimeout(timer);
    this.idleWaiters.delete(wake);
    return drained;
  }

  /**
   * Queues the PUBACK of a stored message. A batch write settles hundreds of handlers at once: their
   * PUBACKs go out as one socket write on the next tick, not one MQTT.js packet (several small
   * buffers) each.
   */
  private ack(conn: MqttConnection, messageId: number): void {
    conn.acks.push(messageId);
    if (conn.acks.length === 1) process.nextTick(() => this.writeAcks(conn));
  }

  /**
   * Writes the queued PUBACKs: `0x40 0x02 <id>` each, the same bytes in MQTT 3.1.1 and 5 (MQTT 5
   * §3.4.2.1: reason code 0 without properties may be left out).
   */
  writeAcks(conn: MqttConnection): void {
    const ids = conn.acks;
    conn.acks = [];
    // A packet id means something only on the connection (and session) it came with: after a
    // reconnect it may name another message. The broker redelivers these instead.
    if (conn.closed || this.ctx.stopped() || !conn.client.connected || ids.length === 0) {
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
}

/** How one message's handling ended, told to its `MqttInbound` (see `SettledMessageHandler`). */
class InboundOutcome implements MessageOutcome {
  constructor(
    private readonly inbound: MqttInbound,
    private readonly conn: MqttConnection,
    private readonly topic: string,
    private readonly messageId: number | undefined,
  ) {}

  done(): void {
    this.inbound.finished(this.conn, this.messageId);
  }

  failed(err: unknown): void {
    this.inbound.finishedWithError(this.conn, this.topic, err);
  }
}
