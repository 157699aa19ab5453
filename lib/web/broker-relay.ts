import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { carriesErrors } from '../acquire/decode/error-slot.js';
import {
  messageToPoints,
  type PipelineContext,
  type PipelineResult,
  TopicRoutes,
} from '../acquire/pipeline.js';
import { SeriesClock } from '../acquire/sanitize/series-clock.js';
import { brokerOptions, readTlsFiles } from '../acquire/source/mqtt-options.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Point } from '../core/point.js';

/** Milliseconds between reconnects of a relay whose broker went away. */
const RECONNECT_MS = 2_000;

/** Everything a `BrokerRelay` needs. */
export interface BrokerRelayContext {
  /** The realm whose topics it follows, on the realm's broker (`app.mqtt`). */
  app: RealmApp;
  /** `[daqd] timezone`, for zone-less times in payloads. */
  timezone: string;
  /** Gets the points of every reading seen on the realm's topics, decoded but not stored. Must not throw. */
  onPoints: (database: string, points: readonly Point[]) => void;
  log: Log;
}

/**
 * A copy of a realm's readings straight from its broker, for the web view's live stream while daqd
 * instances split the realm through a shared subscription (each stores only its share). It subscribes
 * the realm's topics without the share (QoS 0, a clean session of its own: client id
 * `<client_id>-<realm>-live`), decodes each message through the realm's own pipeline stages and hands
 * the points on; nothing is stored or acknowledged here. Retained messages (sent because of the new
 * subscription, not because a node published) and daqd's error reports are passed over; a message that
 * does not decode is dropped (the instance that stores it answers it on the error topic).
 *
 * MQTT 3.1.1 on purpose: the relay needs nothing of MQTT 5, and every broker speaks 3.1.1.
 */
export class BrokerRelay {
  private client: MqttClient | undefined;
  private subscribed = false;
  private stopped = false;
  private loggedDown = false;
  private readonly waiting = new Set<() => void>();
  private readonly pipeline: PipelineContext;

  constructor(private readonly ctx: BrokerRelayContext) {
    this.pipeline = {
      app: ctx.app,
      timezone: ctx.timezone,
      // Its own clock and routes: the channel's stay untouched by what is only shown.
      clock: new SeriesClock(),
      routes: new TopicRoutes(),
    };
  }

  /** True while the subscription is in place: from then on every reading of the realm passes here. */
  get active(): boolean {
    return this.subscribed;
  }

  /** Calls `listener` once the subscription is in place (at once if it is); `offReady` forgets it. */
  onReady(listener: () => void): void {
    if (this.subscribed) listener();
    else this.waiting.add(listener);
  }

  offReady(listener: () => void): void {
    this.waiting.delete(listener);
  }

  /** Connects and subscribes; a broker that cannot be reached is logged and tried again. Never rejects. */
  async start(): Promise<void> {
    const { app, log } = this.ctx;
    const settings = app.mqtt;
    let tls: Awaited<ReturnType<typeof readTlsFiles>>;
    try {
      tls = await readTlsFiles(settings);
    } catch (err) {
      log.warning(`realm '${app.realm}': live view from the broker not possible: ${errorMessage(err)}`);
      return;
    }
    if (this.stopped) return;
    const client = mqtt.connect({
      ...brokerOptions(settings, tls),
      clientId: `${settings.client_id}-${app.realm}-live`,
      clean: true,
      protocolVersion: 4,
      reconnectPeriod: RECONNECT_MS,
      resubscribe: false,
    });
    this.client = client;
    client.on('connect', () => this.subscribe(client));
    client.on('close', () => {
      this.subscribed = false;
    });
    client.on('error', (err) => {
      if (this.loggedDown) return;
      this.loggedDown = true;
      log.warning(`realm '${app.realm}': live view from the broker: ${errorMessage(err)}; retrying`);
    });
    client.on('message', (topic, payload, packet) => this.take(topic, payload, packet));
  }

  /** Ends the connection. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.subscribed = false;
    this.waiting.clear();
    const client = this.client;
    this.client = undefined;
    await client?.endAsync(true);
  }

  private subscribe(client: MqttClient): void {
    const { app, log } = this.ctx;
    client.subscribe([...app.mqtt_topics], { qos: 0 }, (err, granted) => {
      if (this.stopped || client !== this.client) return;
      const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? [];
      if (err !== null && err !== undefined) {
        log.warning(
          `realm '${app.realm}': live view from the broker: subscribe failed: ${errorMessage(err)}`,
        );
        return;
      }
      if (refused.length > 0) {
        log.warning(
          `realm '${app.realm}': live view from the broker: the broker refused ${refused.join(', ')}`,
        );
        return;
      }
      this.loggedDown = false;
      this.subscribed = true;
      log.debug(`realm '${app.realm}': live view follows ${app.mqtt_topics.join(', ')} on the broker`);
      const waiting = [...this.waiting];
      this.waiting.clear();
      for (const listener of waiting) listener();
    });
  }

  private take(topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (!this.subscribed || packet.retain || carriesErrors(topic)) return;
    let result: PipelineResult;
    try {
      result = messageToPoints({ topic, payload, receivedAt: nowNs() }, this.pipeline);
    } catch {
      return;
    }
    if (result.kind === 'points' && result.points.length > 0)
      this.ctx.onPoints(result.database, result.points);
  }
}
