import type { MessageHandler, Publisher, Source } from './source.js';

/** What the source needs of the embedded broker (`EmbeddedBroker` has it). */
export interface BrokerTapPort {
  openTap(key: string, filters: readonly string[], handler: MessageHandler): void;
  pauseTap(key: string): Promise<void>;
  tapOpen(key: string): boolean;
  /** Lets go of a tap and what it holds (a realm that takes nothing from the embedded broker any more). */
  closeTap(key: string): void;
  publish(topic: string, payload: string, qos: 0 | 1): Promise<void>;
}

/** Everything an `EmbeddedBrokerSource` needs. */
export interface EmbeddedBrokerSourceContext {
  broker: BrokerTapPort;
  /** The tap's name, stable across restarts of the realm (its held messages wait under it). */
  key: string;
  /** MQTT filters, e.g. `hiverize/#`. */
  topics: readonly string[];
  onMessage: MessageHandler;
}

/**
 * A realm's messages from daqd's own embedded broker, taken inside the broker's publish path instead of
 * over a client connection: the publisher's PUBACK waits for the handler, so it means "stored", and no
 * session store sits between broker and realm. Stopping pauses the tap: messages published meanwhile
 * are held, unacknowledged, for the realm's next start.
 */
export class EmbeddedBrokerSource implements Source, Publisher {
  private running = false;
  private stopping: Promise<void> | undefined;

  constructor(private readonly ctx: EmbeddedBrokerSourceContext) {}

  get connected(): boolean {
    return this.running && this.ctx.broker.tapOpen(this.ctx.key);
  }

  get origin(): string {
    return 'embedded';
  }

  async start(): Promise<void> {
    if (this.running || this.stopping !== undefined) return;
    this.running = true;
    this.ctx.broker.openTap(this.ctx.key, this.ctx.topics, this.ctx.onMessage);
  }

  stop(): Promise<void> {
    if (this.stopping === undefined) {
      const wasRunning = this.running;
      this.running = false;
      this.stopping = wasRunning ? this.ctx.broker.pauseTap(this.ctx.key) : Promise.resolve();
    }
    return this.stopping;
  }

  publish(topic: string, payload: string, options: { qos: 0 | 1 }): Promise<void> {
    return this.ctx.broker.publish(topic, payload, options.qos);
  }
}
