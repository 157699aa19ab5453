import { connect, type Socket } from 'node:net';

/** What `publishMany` sends and how fast. */
export interface PublishPlan {
  /** Messages to send, numbered 0 … count-1. */
  count: number;
  /** Topic of message `i`. */
  topic(i: number): string;
  /** Payload of message `i`. */
  payload(i: number): string;
  /** QoS 1 messages the broker has not acknowledged yet, at most. */
  window: number;
  /** Messages per second; undefined = as fast as the window allows. */
  rate?: number | undefined;
  /** Called as message `i` is handed to the socket, with `performance.now()`. */
  onSent?: ((i: number, at: number) => void) | undefined;
}

/** Options of `WireClient.connect`. */
export interface WireConnectOptions {
  port: number;
  host?: string;
  clientId: string;
  /** Clean session (default true). */
  clean?: boolean;
}

const CONNACK = 2;
const PUBLISH = 3;
const PUBACK = 4;
const SUBACK = 9;

function varintLength(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

function writeVarint(buf: Buffer, at: number, n: number): number {
  let value = n;
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (value > 0);
  return at;
}

/**
 * A minimal MQTT 3.1.1 client written against the wire format, for load generation and the bare
 * subscriber: QoS 1 publishes with a window of unacknowledged messages, and a subscriber that
 * acknowledges every message and does nothing else. MQTT.js costs several times more CPU per
 * message; on a two-core machine the load generator must leave the cores to what is measured.
 */
export class WireClient {
  /** PUBLISH packets received (subscriber side). */
  received = 0;
  /** PUBACKs received (publisher side). */
  acked = 0;
  /** Called after each received PUBLISH, with the running count. */
  onMessage: ((received: number) => void) | undefined;
  private pending: Buffer | undefined;
  private waitConnack: ((code: number) => void) | undefined;
  private waitSuback: (() => void) | undefined;
  private onAcks: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => this.read(data));
  }

  /** Opens a connection and waits for an accepting CONNACK. */
  static async connect(options: WireConnectOptions): Promise<WireClient> {
    const socket = connect({ host: options.host ?? '127.0.0.1', port: options.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new WireClient(socket);
    const code = await new Promise<number>((resolve, reject) => {
      client.waitConnack = resolve;
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('connection closed before CONNACK')));
      socket.write(connectPacket(options.clientId, options.clean ?? true));
    });
    if (code !== 0) throw new Error(`broker refused the connection (CONNACK ${code})`);
    return client;
  }

  /** SUBSCRIBE one filter at QoS 1 and wait for the SUBACK. */
  subscribe(filter: string): Promise<void> {
    const topic = Buffer.from(filter);
    const remaining = 2 + 2 + topic.length + 1;
    const packet = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
    packet[0] = 0x82;
    let at = writeVarint(packet, 1, remaining);
    at = packet.writeUInt16BE(1, at);
    at = packet.writeUInt16BE(topic.length, at);
    at += topic.copy(packet, at);
    packet[at] = 1;
    return new Promise((resolve) => {
      this.waitSuback = resolve;
      this.socket.write(packet);
    });
  }

  /** Sends `plan.count` QoS 1 messages; resolves once the broker acknowledged every one of them. */
  publishMany(plan: PublishPlan): Promise<void> {
    const startAcked = this.acked;
    const started = performance.now();
    let sent = 0;
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const pump = () => {
        const acked = this.acked - startAcked;
        if (acked >= plan.count) {
          clearInterval(timer);
          this.onAcks = undefined;
          resolve();
          return;
        }
        let limit = Math.min(plan.count, acked + plan.window);
        if (plan.rate !== undefined) {
          limit = Math.min(limit, Math.floor(((performance.now() - started) / 1000) * plan.rate) + 1);
        }
        if (sent >= limit) return;
        const packets: Buffer[] = [];
        for (; sent < limit; sent++) {
          packets.push(publishPacket(plan.topic(sent), plan.payload(sent), (sent % 65535) + 1));
          plan.onSent?.(sent, performance.now());
        }
        this.socket.write(packets.length === 1 ? packets[0]! : Buffer.concat(packets));
      };
      this.onAcks = pump;
      if (plan.rate !== undefined) timer = setInterval(pump, 1);
      pump();
    });
  }

  /** DISCONNECT and close. */
  end(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.end(Buffer.from([0xe0, 0x00]));
    });
  }

  private read(data: Buffer): void {
    const buf = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
    this.pending = undefined;
    let acks: Buffer | undefined;
    let ackCount = 0;
    let at = 0;
    let pubacks = 0;
    while (buf.length - at >= 2) {
      const type = buf[at]! >> 4;
      let remaining = 0;
      let shift = 0;
      let pos = at + 1;
      let complete = false;
      while (pos < buf.length && shift <= 21) {
        const byte = buf[pos++]!;
        remaining |= (byte & 0x7f) << shift;
        shift += 7;
        if ((byte & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete || pos + remaining > buf.length) break;
      if (type === PUBACK) {
        pubacks++;
      } else if (type === PUBLISH) {
        const qos = (buf[at]! >> 1) & 3;
        if (qos > 0) {
          const topicLength = buf.readUInt16BE(pos);
          const idAt = pos + 2 + topicLength;
          acks ??= Buffer.allocUnsafe(4 * 256);
          if (ackCount * 4 + 4 > acks.length) {
            this.socket.write(acks.subarray(0, ackCount * 4));
            acks = Buffer.allocUnsafe(4 * 256);
            ackCount = 0;
          }
          const o = ackCount * 4;
          acks[o] = 0x40;
          acks[o + 1] = 2;
          acks[o + 2] = buf[idAt]!;
          acks[o + 3] = buf[idAt + 1]!;
          ackCount++;
        }
        this.received++;
        this.onMessage?.(this.received);
      } else if (type === CONNACK) {
        this.waitConnack?.(buf[pos + 1]!);
        this.waitConnack = undefined;
      } else if (type === SUBACK) {
        this.waitSuback?.();
        this.waitSuback = undefined;
      }
      at = pos + remaining;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
    if (acks !== undefined && ackCount > 0) this.socket.write(acks.subarray(0, ackCount * 4));
    if (pubacks > 0) {
      this.acked += pubacks;
      this.onAcks?.();
    }
  }
}

function connectPacket(clientId: string, clean: boolean): Buffer {
  const id = Buffer.from(clientId);
  // Protocol name "MQTT", level 4, flags, keep-alive 0 (off: runs are short and the link is local).
  const remaining = 10 + 2 + id.length;
  const packet = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  packet[0] = 0x10;
  let at = writeVarint(packet, 1, remaining);
  at = packet.writeUInt16BE(4, at);
  at += packet.write('MQTT', at, 'latin1');
  packet[at++] = 4;
  packet[at++] = clean ? 0x02 : 0x00;
  at = packet.writeUInt16BE(0, at);
  at = packet.writeUInt16BE(id.length, at);
  id.copy(packet, at);
  return packet;
}

function publishPacket(topic: string, payload: string, id: number): Buffer {
  const topicBytes = Buffer.byteLength(topic);
  const payloadBytes = Buffer.byteLength(payload);
  const remaining = 2 + topicBytes + 2 + payloadBytes;
  const packet = Buffer.allocUnsafe(1 + varintLength(remaining) + remaining);
  packet[0] = 0x32; // PUBLISH, QoS 1
  let at = writeVarint(packet, 1, remaining);
  at = packet.writeUInt16BE(topicBytes, at);
  at += packet.write(topic, at);
  at = packet.writeUInt16BE(id, at);
  packet.write(payload, at);
  return packet;
}

/** A publisher connection for a scenario. */
export function connectPublisher(port: number, name: string): Promise<WireClient> {
  return WireClient.connect({ port, clientId: `bench-pub-${name}-${process.pid}` });
}

/**
 * Discards the broker's persistent session of `clientId`: a clean-session CONNECT with that id, then
 * DISCONNECT (MQTT 3.1.1 §3.1.2.4: the broker drops the old session, and the clean one ends with the
 * connection). A session left behind keeps its subscriptions, and mosquitto goes on queueing
 * messages for it, or, in a shared subscription, goes on giving it its share.
 */
export async function forgetSession(port: number, clientId: string): Promise<void> {
  const client = await WireClient.connect({ port, clientId, clean: true });
  await client.end();
}
