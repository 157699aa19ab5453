import mqtt from 'mqtt';
import type { Ledger } from './ledger.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The body of reading `seq`: its sequence number and a value, no time (daqd stamps the arrival). */
export function readingBody(seq: number): string {
  return `{"seq":${seq},"value":${seq % 100}}`;
}

/** A load that publishes readings at a steady rate until stopped, and finishes what it started. */
export interface Load {
  /** Starts publishing (the first connection must succeed). */
  start(): Promise<void>;
  /** Publishes no new readings; those under way are still sent again until acknowledged. */
  stopPublishing(): void;
  /** Gives up on what is still unacknowledged and closes. Idempotent. */
  close(): Promise<void>;
}

/** Options of an MQTT load. */
export interface MqttLoadOptions {
  url: string;
  clientId: string;
  topic: string;
  qos: 1 | 2;
  protocolVersion: 4 | 5;
  /** Readings per second. */
  rate: number;
  /** Readings published and not yet acknowledged, at most. */
  window: number;
}

/**
 * A careful MQTT publisher: a persistent session (`clean = false`), QoS 1 or 2, reconnecting every
 * 250 ms; MQTT.js keeps unacknowledged messages and sends them again on every new connection. A
 * reading counts as acknowledged when its PUBACK (QoS 1) or PUBCOMP (QoS 2) arrives; a refusal (an
 * MQTT 5 reason code) is published again after a pause, as a publisher that must not lose it would.
 */
export class MqttLoad implements Load {
  private client: mqtt.MqttClient | undefined;
  private publishing = false;
  private inflight = 0;
  private loop: Promise<void> | undefined;
  private closed = false;
  /** New connections after the first one (the broker went away, or the connection broke). */
  reconnects = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly options: MqttLoadOptions,
  ) {}

  async start(): Promise<void> {
    const { url, clientId, protocolVersion } = this.options;
    this.client = await mqtt.connectAsync(url, {
      clientId,
      clean: false,
      protocolVersion,
      reconnectPeriod: 250,
      connectTimeout: 5000,
      keepalive: 10,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
    });
    // Connection errors while the broker is away are expected: MQTT.js reconnects by itself.
    this.client.on('error', () => {});
    this.client.on('connect', () => {
      this.reconnects++;
    });
    this.publishing = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const started = performance.now();
    while (this.publishing) {
      const due = Math.floor(((performance.now() - started) / 1000) * this.options.rate);
      while (this.publishing && this.ledger.published < due && this.inflight < this.options.window) {
        this.send(this.ledger.issue());
      }
      await sleep(5);
    }
  }

  private send(seq: number): void {
    const client = this.client;
    if (client === undefined || this.closed) return;
    this.inflight++;
    client.publish(this.options.topic, readingBody(seq), { qos: this.options.qos }, (err) => {
      this.inflight--;
      if (!err) this.ledger.acknowledge(seq);
      else if (!this.closed) setTimeout(() => this.send(seq), 250);
    });
  }

  stopPublishing(): void {
    this.publishing = false;
  }

  async close(): Promise<void> {
    this.publishing = false;
    await this.loop;
    if (this.closed) return;
    this.closed = true;
    // Forced: the broker may be gone, and what is unacknowledged is counted as such.
    await this.client?.endAsync(true);
  }
}

/** Options of an HTTP load. */
export interface HttpLoadOptions {
  /** e.g. `http://127.0.0.1:24642/api/faults/net/gw/node/data`. */
  url: string;
  /** Readings per second (one reading per POST). */
  rate: number;
  /** Requests at once. */
  concurrency: number;
}

/**
 * A careful HTTP client: one reading per POST; a 2xx acknowledges it; a 5xx (honouring
 * `Retry-After`) or a broken connection sends it again after a pause; any other status refuses it for
 * good, as clients do with a 404.
 */
export class HttpLoad implements Load {
  private publishing = false;
  private closed = false;
  private workers: Promise<void>[] = [];
  private started = 0;
  private readonly aborter = new AbortController();
  /** Status codes of refused readings, for the report. */
  readonly refusals = new Map<number, number>();

  constructor(
    private readonly ledger: Ledger,
    private readonly options: HttpLoadOptions,
  ) {}

  async start(): Promise<void> {
    this.publishing = true;
    this.started = performance.now();
    for (let i = 0; i < this.options.concurrency; i++) this.workers.push(this.work());
  }

  private async work(): Promise<void> {
    while (this.publishing) {
      const due = Math.floor(((performance.now() - this.started) / 1000) * this.options.rate);
      if (this.ledger.published >= due) {
        await sleep(5);
        continue;
      }
      await this.deliver(this.ledger.issue());
    }
  }

  private async deliver(seq: number): Promise<void> {
    while (!this.closed) {
      let status = 0;
      let retryAfter: string | null = null;
      try {
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: readingBody(seq),
          signal: AbortSignal.any([this.aborter.signal, AbortSignal.timeout(30_000)]),
        });
        await response.arrayBuffer();
        status = response.status;
        retryAfter = response.headers.get('retry-after');
      } catch {
        status = 0;
      }
      if (status >= 200 && status < 300) {
        this.ledger.acknowledge(seq);
        return;
      }
      if (status >= 400 && status < 500) {
        this.refusals.set(status, (this.refusals.get(status) ?? 0) + 1);
        this.ledger.reject(seq);
        return;
      }
      const seconds = Number(retryAfter);
      await sleep(retryAfter !== null && Number.isFinite(seconds) ? Math.min(seconds * 1000, 2000) : 250);
    }
  }

  stopPublishing(): void {
    this.publishing = false;
  }

  async close(): Promise<void> {
    this.publishing = false;
    this.closed = true;
    this.aborter.abort();
    await Promise.all(this.workers);
  }
}
