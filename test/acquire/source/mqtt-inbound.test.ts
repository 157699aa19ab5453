import { expect } from 'chai';
import mqtt, { type IPublishPacket } from 'mqtt';
import { MqttSource } from '../../../lib/acquire/source/mqtt.js';
import type { MqttConnection } from '../../../lib/acquire/source/mqtt-connection.js';
import { MqttInbound } from '../../../lib/acquire/source/mqtt-inbound.js';
import type { InboundMessage, SettledMessageHandler } from '../../../lib/acquire/source/source.js';
import type { MqttSettings } from '../../../lib/config/settings.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { Log } from '../../../lib/core/log.js';
import { eventually } from '../../support/eventually.js';
import { type MosquittoProcess, startMosquitto } from '../../support/mosquitto.js';
import {
  recordingConnection as connection,
  type RecordingConnection,
} from '../../support/mqtt-connection.js';

/** A Log that keeps the lines of error, warning and notice level. */
function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log = {
    lines,
    error: (message: string) => lines.push(`error ${message}`),
    warning: (message: string) => lines.push(`warning ${message}`),
    notice: (message: string) => lines.push(`notice ${message}`),
    info: () => {},
    debug: () => {},
    isDebug: () => false,
    child: () => log,
  };
  return log;
}

/** The packet ids of the PUBACKs in one socket write (each `0x40 0x02 <id>`). */
function pubackIds(chunk: Buffer): number[] {
  const ids: number[] = [];
  for (let at = 0; at < chunk.length; at += 4) {
    expect([chunk[at], chunk[at + 1]], `PUBACK header at byte ${at}`).to.deep.equal([0x40, 2]);
    ids.push(chunk.readUInt16BE(at + 2));
  }
  return ids;
}

function publish(messageId: number, qos: 0 | 1 = 1): IPublishPacket {
  return {
    cmd: 'publish',
    qos,
    dup: false,
    retain: false,
    topic: `t/${messageId}`,
    payload: Buffer.from(`m${messageId}`),
    ...(qos === 1 ? { messageId } : {}),
  };
}

/** What a test steers and observes: each handler call waits until the test settles it. */
interface Rig {
  inbound: MqttInbound;
  conn: RecordingConnection;
  log: Log & { lines: string[] };
  handled: InboundMessage[];
  /** Settles the handler of a message, by its packet id. */
  settle: (messageId: number, err?: Error) => void;
  /** MQTT.js's callback per topic: absent until called, then the error it was given (or null). */
  callbacks: Map<string, Error | null>;
  recycled: string[];
  setRunning: (running: boolean) => void;
}

/** How the rig's handler answers: a promise per message, or the outcome object (`onMessageSettled`). */
type HandlerKind = 'promise' | 'outcome';

function rig(window: number, kind: HandlerKind): Rig {
  const conn = connection();
  const log = recordingLog();
  const handled: InboundMessage[] = [];
  const pending = new Map<string, { resolve: () => void; reject: (err: Error) => void }>();
  const recycled: string[] = [];
  let running = true;
  const inbound = new MqttInbound({
    log,
    window,
    onMessage: (message) =>
      new Promise<void>((resolve, reject) => {
        handled.push(message);
        pending.set(message.topic, { resolve, reject });
      }),
    onMessageSettled:
      kind === 'promise'
        ? undefined
        : (message, outcome) => {
            handled.push(message);
            pending.set(message.topic, {
              resolve: () => outcome.done(),
              reject: (err) => outcome.failed(err),
            });
          },
    current: () => conn,
    running: () => running,
    leaving: () => false,
    stopped: () => !running,
    recycle: (_conn, why) => recycled.push(why),
  });
  const callbacks = new Map<string, Error | null>();
  return {
    inbound,
    conn,
    log,
    handled,
    callbacks,
    recycled,
    setRunning: (value) => {
      running = value;
    },
    settle: (messageId, err) => {
      const handler = pending.get(`t/${messageId}`);
      if (handler === undefined) throw new Error(`message ${messageId} was not handed on`);
      if (err === undefined) handler.resolve();
      else handler.reject(err);
    },
  };
}

function receive(r: Rig, packet: IPublishPacket, conn: MqttConnection = r.conn): void {
  r.inbound.onPublish(conn, packet, (err) => r.callbacks.set(packet.topic, err ?? null));
}

/** Lets settled handlers run their reactions and the PUBACK write queued for the next tick. */
async function settleTick(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

for (const kind of ['promise', 'outcome'] as const)
  describe(`acquire/source/mqtt-inbound: receive window and acknowledgements (handler with ${kind === 'promise' ? 'a promise' : 'an outcome object'})`, () => {
    it('hands each PUBLISH on at once and lets MQTT.js read on without sending its own PUBACK', () => {
      const r = rig(10, kind);
      receive(r, publish(1));
      receive(r, publish(2, 0));
      expect(r.handled.map((m) => [m.topic, m.payload.toString()])).to.deep.equal([
        ['t/1', 'm1'],
        ['t/2', 'm2'],
      ]);
      expect(typeof r.handled[0]?.receivedAt).to.equal('bigint');
      // QoS 1: called with an error, which keeps MQTT.js from writing the PUBACK itself. QoS 0: plain.
      expect(r.callbacks.get('t/1')).to.be.instanceOf(Error);
      expect(r.callbacks.get('t/2')).to.equal(null);
      expect(r.conn.written).to.deep.equal([]);
    });

    it('writes a PUBACK only once its handler resolved, in the order the handlers settle, one write per tick', async () => {
      const r = rig(10, kind);
      for (const id of [1, 2, 3, 4]) receive(r, publish(id));
      await settleTick();
      expect(r.conn.written, 'nothing is acknowledged before it is stored').to.deep.equal([]);

      r.settle(3);
      r.settle(1);
      await settleTick();
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[3, 1]]);

      r.settle(4);
      r.settle(2);
      await settleTick();
      expect(r.conn.written.map(pubackIds)).to.deep.equal([
        [3, 1],
        [4, 2],
      ]);
    });

    it('never acknowledges a QoS 0 message', async () => {
      const r = rig(10, kind);
      receive(r, publish(7, 0));
      receive(r, publish(8));
      r.settle(7);
      r.settle(8);
      await settleTick();
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[8]]);
    });

    it('holds the PUBLISH that overruns the window, and MQTT.js with it, until a handler settles', async () => {
      const r = rig(2, kind);
      for (const id of [1, 2, 3]) receive(r, publish(id));
      expect(r.handled.map((m) => m.topic)).to.deep.equal(['t/1', 't/2']);
      expect(r.callbacks.has('t/3'), 'MQTT.js waits for the held message').to.equal(false);
      expect(r.conn.paused).to.be.a('function');

      r.settle(2);
      await settleTick();
      expect(r.handled.map((m) => m.topic)).to.deep.equal(['t/1', 't/2', 't/3']);
      expect(r.callbacks.get('t/3')).to.be.instanceOf(Error);
      expect(r.conn.paused).to.equal(undefined);
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[2]]);

      r.settle(1);
      r.settle(3);
      await settleTick();
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[2], [1, 3]]);
    });

    it('leaves a failed message unacknowledged, logs the first failure once, and recycles once failures fill the window', async () => {
      const r = rig(3, kind);
      for (const id of [1, 2, 3, 4]) receive(r, publish(id));
      r.settle(1, new StorageError('store is stopping', true));
      r.settle(2, new StorageError('store is stopping', true));
      await settleTick();
      // Two failures in a window of three: the reconnect waits (so one outage shares a reconnect).
      expect(r.recycled).to.deep.equal([]);
      r.settle(4);
      r.settle(3, new StorageError('store is stopping', true));
      await settleTick();
      expect(r.recycled).to.deep.equal(['3 message(s) not stored, left unacknowledged']);
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[4]]);
      expect(r.log.lines.filter((l) => l.startsWith('error '))).to.have.length(1);
      expect(r.log.lines[0]).to.match(
        /^error mqtt: handler failed for 't\/1': store is stopping; not acknowledged/,
      );
      r.setRunning(false);
    });

    it('hands on nothing of a connection that is no longer the current one, and acknowledges none of it', async () => {
      const r = rig(10, kind);
      const old = connection();
      receive(r, publish(1), old);
      await settleTick();
      expect(r.handled).to.deep.equal([]);
      // Called with the error that skips MQTT.js's PUBACK: the broker sends it again on the new connection.
      expect(r.callbacks.get('t/1')).to.be.instanceOf(Error);
      expect(old.written).to.deep.equal([]);
      expect(r.conn.written).to.deep.equal([]);
    });

    it('writes no PUBACK on a connection that closed while the handler ran', async () => {
      const r = rig(10, kind);
      receive(r, publish(1));
      r.conn.closed = true;
      r.settle(1);
      await settleTick();
      expect(r.conn.written).to.deep.equal([]);
    });

    it('drain waits for the handlers in flight, or gives up after its timeout saying how many are left', async () => {
      const r = rig(10, kind);
      receive(r, publish(1));
      receive(r, publish(2));
      let drained = false;
      const drain = r.inbound.drain(undefined).then(() => {
        drained = true;
      });
      r.settle(1);
      await settleTick();
      expect(drained).to.equal(false);
      r.settle(2);
      await drain;
      expect(drained).to.equal(true);
      await settleTick();
      expect(r.conn.written.map(pubackIds)).to.deep.equal([[1], [2]]);

      receive(r, publish(3));
      await r.inbound.drain(20);
      expect(r.log.lines).to.deep.equal([
        'warning mqtt: 1 message(s) still in the handler after 20 ms; leaving them unacknowledged for the broker to send again',
      ]);
      r.settle(3);
    });
  });

/** An inbound on `conn` whose channel takes messages through `onMessageSettled` only. */
function settledInbound(
  conn: MqttConnection,
  log: Log,
  window: number,
  onMessageSettled: SettledMessageHandler,
): MqttInbound {
  return new MqttInbound({
    log,
    window,
    onMessage: () => Promise.reject(new Error('the promise handler is not used')),
    onMessageSettled,
    current: () => conn,
    running: () => true,
    leaving: () => false,
    stopped: () => false,
    recycle: () => {},
  });
}

describe('acquire/source/mqtt-inbound: a handler with an outcome object', () => {
  it('acknowledges a message whose outcome is told before the handler returns, after MQTT.js was called back', async () => {
    const conn = connection();
    const order: string[] = [];
    // A window of one: each message frees it at once, so none is held.
    const inbound = settledInbound(conn, recordingLog(), 1, (message, outcome) => {
      order.push(`handled ${message.topic}`);
      outcome.done();
    });
    for (const id of [1, 2, 3]) inbound.onPublish(conn, publish(id), () => order.push(`callback t/${id}`));
    expect(order).to.deep.equal([
      'handled t/1',
      'callback t/1',
      'handled t/2',
      'callback t/2',
      'handled t/3',
      'callback t/3',
    ]);
    expect(inbound.busy).to.equal(0);
    await settleTick();
    expect(conn.written.map(pubackIds)).to.deep.equal([[1, 2, 3]]);
  });

  it('leaves a message unacknowledged when its handler throws, and goes on with the next', async () => {
    const conn = connection();
    const log = recordingLog();
    const inbound = settledInbound(conn, log, 10, (message, outcome) => {
      if (message.topic === 't/1') throw new Error('decoder bug');
      outcome.done();
    });
    inbound.onPublish(conn, publish(1), () => {});
    inbound.onPublish(conn, publish(2), () => {});
    await settleTick();
    expect(conn.written.map(pubackIds)).to.deep.equal([[2]]);
    expect(inbound.busy).to.equal(0);
    expect(log.lines).to.have.length(1);
    expect(log.lines[0]).to.match(/^error mqtt: handler failed for 't\/1': decoder bug; not acknowledged/);
  });
});

function settingsFor(port: number, receiveMaximum: number): MqttSettings {
  return {
    host: '127.0.0.1',
    port,
    protocol: 'mqtt',
    tls_insecure: false,
    client_id: 'daqd-test',
    protocol_version: 5,
    receive_maximum: receiveMaximum,
    keepalive: 60,
  };
}

/**
 * Messages whose handler failed stay unacknowledged, and the broker sends them again only on a new
 * connection: the source recycles its connection so they come again, and logs the failures once.
 */
describe('acquire/source/mqtt-inbound: failed handlers (real mosquitto)', function () {
  this.timeout(30_000);
  let broker: MosquittoProcess;
  let publisher: mqtt.MqttClient;
  let source: MqttSource | undefined;

  before(async () => {
    broker = await startMosquitto();
    publisher = await mqtt.connectAsync(broker.url, { clientId: `inbound-test-publisher-${process.pid}` });
  });
  after(async () => {
    await publisher?.endAsync();
    await broker?.stop();
  });
  afterEach(async () => {
    await source?.stop({ drainTimeout: 1000 });
    source = undefined;
  });

  async function startSource(
    name: string,
    receiveMaximum: number,
    failFirst: number,
  ): Promise<{ handled: InboundMessage[]; log: Log & { lines: string[] } }> {
    const log = recordingLog();
    const handled: InboundMessage[] = [];
    let failures = 0;
    source = new MqttSource({
      settings: settingsFor(broker.port, receiveMaximum),
      clientId: `daqd-inbound-${name}-${process.pid}`,
      topics: [`${name}/#`],
      log,
      onMessage: async (message) => {
        handled.push(message);
        // The first deliveries fail as a store that cannot take them would at stop: not stored.
        if (failures < failFirst) {
          failures++;
          throw new StorageError('spool: cannot write a batch to disk: ENOSPC', true);
        }
      },
    });
    await source.start();
    expect(source.connected).to.equal(true);
    return { handled, log };
  }

  it('reconnects after a handler failed, so the broker sends the unacknowledged message again', async () => {
    const { handled, log } = await startSource('recycle', 100, 3);
    await Promise.all([1, 2, 3, 4, 5].map((n) => publisher.publishAsync(`recycle/x`, String(n), { qos: 1 })));
    // Every message handled with success at least once: the three failed ones came again.
    await eventually(
      'every message handled with success',
      async () => {
        const texts = handled.slice(3).map((m) => m.payload.toString());
        return [1, 2, 3, 4, 5].every((n) => texts.includes(String(n))) ? true : undefined;
      },
      20_000,
    );
    const failedFirst = handled.slice(0, 3).map((m) => m.payload.toString());
    const later = handled.slice(3).map((m) => m.payload.toString());
    for (const text of failedFirst) expect(later).to.include(text);
    // Said once, not per message: one line for the first failure, one for the reconnect with the count.
    const failureLines = log.lines.filter((l) => l.includes('handler failed'));
    expect(failureLines).to.have.length(1);
    const recycleLines = log.lines.filter((l) => l.includes('not stored, left unacknowledged'));
    expect(recycleLines).to.have.length(1);
    expect(recycleLines[0]).to.match(/3 message\(s\) not stored/);
    expect(log.lines.filter((l) => l.includes('lost connection'))).to.deep.equal([]);
  });

  it('reconnects at once when failed messages fill the receive window', async () => {
    const { handled } = await startSource('window', 2, 2);
    const started = Date.now();
    await Promise.all([1, 2].map((n) => publisher.publishAsync(`window/x`, String(n), { qos: 1 })));
    await eventually('both messages handled again', async () => (handled.length >= 4 ? true : undefined));
    // Well before the delay that applies while the window still has room.
    expect(Date.now() - started).to.be.lessThan(4_000);
  });
});
