import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes, type Client as AedesClient } from 'aedes';
import { expect } from 'chai';
import mqtt, { type MqttClient } from 'mqtt';
import { MqttSource } from '../../../lib/acquire/source/mqtt.js';
import type { InboundMessage, MessageHandler } from '../../../lib/acquire/source/source.js';
import type { MqttSettings } from '../../../lib/config/settings.js';
import { nowNs } from '../../../lib/core/clock.js';
import { DaqdError } from '../../../lib/core/errors.js';
import type { Log } from '../../../lib/core/log.js';
import { freePort, type MosquittoProcess, startMosquitto } from '../../support/mosquitto.js';

interface LogLine {
  level: 'error' | 'warning' | 'notice' | 'info' | 'debug';
  message: string;
}

/** A Log that keeps every line (debug too, when asked) for assertions. */
function recordingLog(debug = false): Log & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = {
    lines,
    error: (message: string) => lines.push({ level: 'error', message }),
    warning: (message: string) => lines.push({ level: 'warning', message }),
    notice: (message: string) => lines.push({ level: 'notice', message }),
    info: (message: string) => lines.push({ level: 'info', message }),
    debug: (message: string) => {
      if (debug) lines.push({ level: 'debug', message });
    },
    isDebug: () => debug,
    child: () => log,
  };
  return log;
}

function settingsFor(port: number, overrides: Partial<MqttSettings> = {}): MqttSettings {
  return {
    host: '127.0.0.1',
    port,
    protocol: 'mqtt',
    tls_insecure: false,
    client_id: 'daqd-test',
    protocol_version: 5,
    receive_maximum: 1000,
    keepalive: 60,
    ...overrides,
  };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * True once a message with this payload arrived. MQTT delivers one publisher's messages on one topic
 * and QoS in the order the broker received them, redelivered ones first (MQTT 5 §4.6), so once a
 * marker published after the messages under test has arrived, any of those (or a copy) still to come
 * would have come before it: "the marker arrived and nothing else did" needs no fixed wait.
 */
function arrived(messages: readonly InboundMessage[], payload: string): () => boolean {
  return () => messages.some((m) => m.payload.toString() === payload);
}

/** Sorted payloads as text. */
function payloads(messages: readonly InboundMessage[]): string[] {
  return messages.map((m) => m.payload.toString()).sort();
}

/** A self-signed certificate for 127.0.0.1 (it is its own CA), made with the openssl CLI. */
function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  args.push('-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1');
  args.push('-addext', 'subjectAltName=IP:127.0.0.1');
  return new Promise((resolve, reject) => {
    execFile('openssl', args, (err) => (err ? reject(err) : resolve({ cert, key })));
  });
}

let idCounter = 0;
/** A client id no other test uses, so broker sessions do not leak between tests. */
function uniqueId(name: string): string {
  idCounter++;
  return `daqd-test-${name}-${process.pid}-${idCounter}`;
}

describe('MqttSource', function () {
  this.timeout(20_000);

  let broker: MosquittoProcess;
  /** Teardown steps of the running test, run last-in first-out. */
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    broker = await startMosquitto();
  });

  after(async () => {
    await broker?.stop();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function publisher(url: string, protocolVersion: 4 | 5 = 4): Promise<MqttClient> {
    const client = await mqtt.connectAsync(url, {
      clientId: uniqueId('pub'),
      clean: true,
      reconnectPeriod: 0,
      protocolVersion,
    });
    cleanups.push(() => client.endAsync());
    return client;
  }

  function source(options: {
    port?: number;
    clientId: string;
    topics: readonly string[];
    onMessage: MessageHandler;
    log?: Log;
    sharedGroup?: string;
    settings?: Partial<MqttSettings>;
  }): MqttSource {
    const src = new MqttSource({
      settings: settingsFor(options.port ?? broker.port, options.settings),
      clientId: options.clientId,
      topics: options.topics,
      sharedGroup: options.sharedGroup,
      log: options.log ?? recordingLog(),
      onMessage: options.onMessage,
    });
    cleanups.push(() => src.stop({ drainTimeout: 100 }));
    return src;
  }

  /** A handler that records messages and resolves at once. */
  function collector(): { messages: InboundMessage[]; onMessage: MessageHandler } {
    const messages: InboundMessage[] = [];
    return {
      messages,
      onMessage: async (message) => {
        messages.push(message);
      },
    };
  }

  it('delivers topic, payload and receive time, and only for the subscribed filters', async () => {
    const { messages, onMessage } = collector();
    const src = source({ clientId: uniqueId('filters'), topics: ['t1/a/#', 't1/b/+/x'], onMessage });
    await src.start();
    expect(src.connected).to.equal(true);
    const pub = await publisher(broker.url);
    const before = nowNs();
    await pub.publishAsync('t1/c/1', 'other realm', { qos: 1 });
    await pub.publishAsync('t1/b/2/y', 'wrong leaf', { qos: 1 });
    await pub.publishAsync('t1/a/1', 'one', { qos: 1 });
    await pub.publishAsync('t1/b/2/x', Buffer.from([0, 255, 1]), { qos: 1 });
    await pub.publishAsync('t1/a/end', 'end', { qos: 0 });
    await waitFor('the end marker', () => messages.some((m) => m.topic === 't1/a/end'));
    const after = nowNs();

    expect(messages.map((m) => m.topic)).to.deep.equal(['t1/a/1', 't1/b/2/x', 't1/a/end']);
    const [one, binary] = messages;
    expect(Buffer.isBuffer(one?.payload)).to.equal(true);
    expect(one?.payload.toString()).to.equal('one');
    expect(binary?.payload.equals(Buffer.from([0, 255, 1]))).to.equal(true);
    // nowNs() adds a sub-millisecond part from another clock: two stamps within one millisecond
    // may come out of order, so the window is widened by that millisecond.
    const ms = 1_000_000n;
    for (const message of messages) {
      expect(typeof message.receivedAt).to.equal('bigint');
      expect(message.receivedAt >= before - ms && message.receivedAt <= after + ms).to.equal(true);
    }
  });

  it('acknowledges a message only after its handler resolved', async () => {
    const clientId = uniqueId('ack');
    const log = recordingLog();
    const first: InboundMessage[] = [];
    const src1 = source({
      clientId,
      topics: ['t2/#'],
      log,
      onMessage: (message) => {
        first.push(message);
        const text = message.payload.toString();
        if (text === 'hold') return new Promise<void>(() => {}); // never settles
        if (text === 'bad') return Promise.reject(new Error('handler broke'));
        return Promise.resolve();
      },
    });
    await src1.start();
    const pub = await publisher(broker.url);
    for (const text of ['ok-1', 'hold', 'bad', 'ok-2']) await pub.publishAsync('t2/x', text, { qos: 1 });
    await waitFor('four messages', () => first.length === 4);
    await src1.stop({ drainTimeout: 100 });
    expect(
      log.lines.some((l) => l.level === 'error' && l.message.includes("handler failed for 't2/x'")),
    ).to.equal(true);
    expect(
      log.lines.some((l) => l.level === 'warning' && l.message.includes('1 message(s) still in the handler')),
    ).to.equal(true);

    const { messages: second, onMessage } = collector();
    const src2 = source({ clientId, topics: ['t2/#'], onMessage });
    await src2.start();
    await pub.publishAsync('t2/x', 'marker', { qos: 1 });
    await waitFor('the marker', arrived(second, 'marker'));
    expect(payloads(second)).to.deep.equal(['bad', 'hold', 'marker']);
  });

  it('stop() waits for handlers in flight and sends their acknowledgements', async () => {
    const clientId = uniqueId('drain');
    let started = 0;
    let finished = 0;
    const src1 = source({
      clientId,
      topics: ['t3/#'],
      onMessage: async () => {
        started++;
        await sleep(300);
        finished++;
      },
    });
    await src1.start();
    const pub = await publisher(broker.url);
    await Promise.all(['a', 'b', 'c'].map((text) => pub.publishAsync('t3/x', text, { qos: 1 })));
    await waitFor('three handlers running', () => started === 3);
    expect(finished).to.equal(0);
    await src1.stop();
    expect(finished).to.equal(3);
    expect(src1.connected).to.equal(false);

    const { messages, onMessage } = collector();
    const src2 = source({ clientId, topics: ['t3/#'], onMessage });
    await src2.start();
    await pub.publishAsync('t3/x', 'marker', { qos: 1 });
    await waitFor('the marker', arrived(messages, 'marker'));
    expect(payloads(messages)).to.deep.equal(['marker']);
  });

  it('keeps up to receive_maximum messages in flight, unacknowledged, and acks them out of order', async () => {
    const clientId = uniqueId('window');
    const held: Array<{ message: InboundMessage; resolve: () => void }> = [];
    const src1 = source({
      clientId,
      topics: ['t4/#'],
      settings: { receive_maximum: 1000 },
      onMessage: (message) => new Promise<void>((resolve) => held.push({ message, resolve })),
    });
    await src1.start();
    const pub = await publisher(broker.url);
    const count = 500;
    await Promise.all(
      Array.from({ length: count }, (_, i) => pub.publishAsync('t4/x', String(i), { qos: 1 })),
    );
    // All of them reach the handler while not one has been acknowledged: the broker's window is
    // the Receive Maximum (not mosquitto's 3.1.1 limit of 20), and nothing waits for an ack.
    await waitFor(`${count} messages held at once`, () => held.length === count);
    expect(new Set(held.map((h) => h.message.payload.toString())).size).to.equal(count);
    for (const { resolve } of held.slice().reverse()) resolve();
    await src1.stop();

    const { messages, onMessage } = collector();
    const src2 = source({ clientId, topics: ['t4/#'], onMessage });
    await src2.start();
    await pub.publishAsync('t4/x', 'marker', { qos: 1 });
    await waitFor('the marker', arrived(messages, 'marker'));
    expect(payloads(messages)).to.deep.equal(['marker']);
  });

  it('never has more than receive_maximum handlers busy, even when the broker sends more', async () => {
    // MQTT 3.1.1 has no Receive Maximum (mosquitto's own in-flight limit is 20 by default), and
    // mosquitto 2.0.11 overruns an MQTT 5 window once PUBACKs flow: the source keeps it itself.
    for (const protocol_version of [4, 5] as const) {
      let busy = 0;
      let most = 0;
      const done = new Set<string>();
      const src = source({
        clientId: uniqueId(`own-window-${protocol_version}`),
        topics: ['t4w/#'],
        settings: { receive_maximum: 5, protocol_version },
        onMessage: async (message) => {
          busy++;
          most = Math.max(most, busy);
          await sleep(2);
          busy--;
          done.add(message.payload.toString());
        },
      });
      await src.start();
      const pub = await publisher(broker.url);
      const count = 300;
      await Promise.all(
        Array.from({ length: count }, (_, i) => pub.publishAsync('t4w/x', String(i), { qos: 1 })),
      );
      await waitFor(`${count} messages handled (MQTT ${protocol_version})`, () => done.size === count);
      expect(most, `MQTT ${protocol_version}`).to.be.within(1, 5);
      await src.stop();
    }
  });

  it('keeps its session while stopped: QoS 1 messages sent meanwhile arrive after the next start', async () => {
    const clientId = uniqueId('session');
    const src1 = source({ clientId, topics: ['t5/#'], onMessage: async () => {} });
    await src1.start();
    await src1.stop();

    const pub = await publisher(broker.url);
    const sent = Array.from({ length: 50 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const text of sent) await pub.publishAsync('t5/x', text, { qos: 1 });

    const log = recordingLog();
    const { messages, onMessage } = collector();
    const src2 = source({ clientId, topics: ['t5/#'], onMessage, log });
    await src2.start();
    await waitFor('50 queued messages', () => messages.length >= 50);
    await pub.publishAsync('t5/x', 'marker', { qos: 1 });
    await waitFor('the marker', arrived(messages, 'marker'));
    expect(payloads(messages)).to.deep.equal([...sent, 'marker']);
    expect(log.lines.some((l) => l.message.includes('MQTT 5, session resumed'))).to.equal(true);
  });

  it('reconnects after a broker restart and receives again', async () => {
    const log = recordingLog();
    const { messages, onMessage } = collector();
    const src = source({ clientId: uniqueId('restart'), topics: ['t6/#'], onMessage, log });
    await src.start();
    const pub1 = await publisher(broker.url);
    await pub1.publishAsync('t6/x', 'before', { qos: 1 });
    await waitFor('the first message', () => messages.length === 1);

    await broker.restart();
    await waitFor('the lost connection to be noticed', () =>
      log.lines.some((l) => l.message.includes('lost connection')),
    );
    await waitFor('the reconnect', () => src.connected, 15_000);
    const reconnected = log.lines.filter((l) => l.message.startsWith('mqtt: connected to broker'));
    expect(reconnected.map((l) => l.level)).to.deep.equal(['info', 'notice']);

    const pub2 = await publisher(broker.url);
    await pub2.publishAsync('t6/x', 'after', { qos: 1 });
    await waitFor('the message after the restart', () => messages.length === 2);
    expect(payloads(messages)).to.deep.equal(['after', 'before']);
  });

  it('starts without a reachable broker, logs that once, and connects when the broker comes up', async () => {
    const port = await freePort();
    const log = recordingLog(true);
    const { messages, onMessage } = collector();
    const src = source({ port, clientId: uniqueId('late'), topics: ['t7/#'], onMessage, log });

    const t0 = Date.now();
    await src.start();
    expect(Date.now() - t0).to.be.below(3000);
    expect(src.connected).to.equal(false);
    let failure: unknown;
    await src.publish('t7/error.json', '{}').catch((err: unknown) => {
      failure = err;
    });
    expect(failure).to.be.instanceOf(DaqdError);
    expect((failure as DaqdError).code).to.equal('mqtt_disconnected');

    // Let it retry a few times: still one line at warning level.
    await waitFor(
      'two retries',
      () => log.lines.filter((l) => l.message.startsWith('mqtt: still cannot')).length >= 2,
    );
    const warnings = log.lines.filter((l) => l.level === 'warning' || l.level === 'error');
    expect(warnings.map((l) => l.message)).to.deep.equal([
      `mqtt: cannot reach broker mqtt://127.0.0.1:${port} (ECONNREFUSED); retrying`,
    ]);

    const late = await startMosquitto({ port });
    cleanups.push(() => late.stop());
    await waitFor('the connection', () => src.connected, 15_000);
    expect(
      log.lines.filter((l) => l.message.startsWith('mqtt: connected to broker')).map((l) => l.level),
    ).to.deep.equal(['notice']);
    const pub = await publisher(late.url);
    await pub.publishAsync('t7/x', 'hello', { qos: 1 });
    await waitFor('the message', () => messages.length === 1);
    await src.publish('t7/error.json', '{"ok":true}', { qos: 1 });
  });

  it('stop() while the broker is unreachable leaves no timer or socket behind', async () => {
    const port = await freePort();
    const resources = () => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
    const baseline = resources().sort();

    const immediate = source({
      port,
      clientId: uniqueId('stop1'),
      topics: ['t8/#'],
      onMessage: async () => {},
    });
    const starting = immediate.start();
    await immediate.stop();
    await starting;

    const retrying = source({
      port,
      clientId: uniqueId('stop2'),
      topics: ['t8/#'],
      onMessage: async () => {},
    });
    await retrying.start(); // returns after the first refused attempt; the retry timer is pending
    await retrying.stop();
    await sleep(20); // let closed sockets finish their close callbacks
    expect(resources().sort()).to.deep.equal(baseline);
  });

  it('shares a $share group: two sources split 100 messages without loss or duplicates', async () => {
    const a = collector();
    const b = collector();
    const srcA = source({
      clientId: uniqueId('shareA'),
      topics: ['t9/#'],
      sharedGroup: 'daqd',
      onMessage: a.onMessage,
    });
    const srcB = source({
      clientId: uniqueId('shareB'),
      topics: ['t9/#'],
      sharedGroup: 'daqd',
      onMessage: b.onMessage,
    });
    await Promise.all([srcA.start(), srcB.start()]);
    const pub = await publisher(broker.url);
    const sent = Array.from({ length: 100 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    for (const text of sent) await pub.publishAsync('t9/node/data.json', text, { qos: 1 });
    await waitFor('100 messages in total', () => a.messages.length + b.messages.length >= 100);
    // A fixed wait for copies, not a marker: a shared subscription hands each message to one member,
    // so a marker arrives at one of the two and says nothing of what may still come to the other.
    await sleep(200);
    expect(payloads([...a.messages, ...b.messages])).to.deep.equal(sent);
    expect(a.messages.length).to.be.above(0);
    expect(b.messages.length).to.be.above(0);
  });

  it('leaves its shared group on stop: the others get its share at once, what it took is acknowledged', async () => {
    const log = recordingLog();
    const clientId = uniqueId('leave');
    const mine: InboundMessage[] = [];
    const member = source({
      clientId,
      topics: ['t20/#'],
      sharedGroup: 'leave',
      log,
      // Slow enough that messages are in flight when the stop begins.
      onMessage: async (message) => {
        mine.push(message);
        await sleep(30);
      },
    });
    await member.start();
    const theirs: string[] = [];
    const other = await mqtt.connectAsync(broker.url, { clientId: uniqueId('leave-other'), clean: true });
    cleanups.push(() => other.endAsync());
    other.on('message', (_topic, payload) => theirs.push(payload.toString()));
    await other.subscribeAsync('$share/leave/t20/#', { qos: 1 });
    const pub = await publisher(broker.url);
    const text = (n: number) => `m${String(n).padStart(3, '0')}`;
    const sending = (async () => {
      for (let n = 0; n < 200; n++) await pub.publishAsync('t20/node/data.json', text(n), { qos: 1 });
    })();
    await waitFor('a share at the member', () => mine.length >= 10);
    await member.stop();
    await sending;
    const left = log.lines.filter((l) => /left shared group/.test(l.message));
    expect(left.map((l) => l.level)).to.deep.equal(['notice']);
    expect(left[0]?.message).to.match(
      /^mqtt: left shared group 'leave' \(unsubscribed '\$share\/leave\/t20\/#'; handled \d+ message\(s\) the broker still sent, in \d+ ms\)$/,
    );
    const atStop = mine.length;
    // Published after the stop: all to the other member.
    for (let n = 200; n < 250; n++) await pub.publishAsync('t20/node/data.json', text(n), { qos: 1 });
    await waitFor('all 250 at one of the two', () => mine.length + theirs.length >= 250);
    await sleep(200);
    expect(mine.length, 'nothing reaches a stopped member').to.equal(atStop);
    const all = Array.from({ length: 250 }, (_, n) => text(n));
    expect([...payloads(mine), ...theirs].sort(), 'each once').to.deep.equal(all);
    // Its broker session holds nothing: no message left unacknowledged, no share queued for it.
    const probe = await mqtt.connectAsync(broker.url, {
      clientId,
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 0xffffffff },
    });
    cleanups.push(() => probe.endAsync());
    const probed: string[] = [];
    probe.on('message', (_topic, payload) => probed.push(payload.toString()));
    await pub.publishAsync('t20/node/data.json', 'after', { qos: 1 });
    await sleep(300);
    expect(probed).to.deep.equal([]);
    expect(theirs).to.include('after');
  });

  it('joins its shared group again when started after a leave', async () => {
    const clientId = uniqueId('rejoin');
    const first = source({ clientId, topics: ['t21/#'], sharedGroup: 'rejoin', onMessage: async () => {} });
    await first.start();
    await first.stop();
    const again = collector();
    const theirs: string[] = [];
    const other = await mqtt.connectAsync(broker.url, { clientId: uniqueId('rejoin-other'), clean: true });
    cleanups.push(() => other.endAsync());
    other.on('message', (_topic, payload) => theirs.push(payload.toString()));
    await other.subscribeAsync('$share/rejoin/t21/#', { qos: 1 });
    const second = source({ clientId, topics: ['t21/#'], sharedGroup: 'rejoin', onMessage: again.onMessage });
    await second.start();
    const pub = await publisher(broker.url);
    for (let n = 0; n < 20; n++) await pub.publishAsync('t21/x', String(n), { qos: 1 });
    await waitFor('20 messages', () => again.messages.length + theirs.length >= 20);
    expect(again.messages.length).to.be.above(0);
    expect(theirs.length).to.be.above(0);
  });

  it('does not unsubscribe on stop without a shared group: the session queues for the next start', async () => {
    const clientId = uniqueId('keep');
    const log = recordingLog();
    const first = source({ clientId, topics: ['t22/#'], onMessage: async () => {}, log });
    await first.start();
    await first.stop();
    expect(log.lines.filter((l) => /shared group/.test(l.message))).to.deep.equal([]);
    const pub = await publisher(broker.url);
    await pub.publishAsync('t22/x', 'while away', { qos: 1 });
    const later = collector();
    const second = source({ clientId, topics: ['t22/#'], onMessage: later.onMessage });
    await second.start();
    await waitFor('the queued message', arrived(later.messages, 'while away'));
  });

  it('passes username and password', async () => {
    const secured = await startMosquitto({ users: { daqd: 'right' } });
    cleanups.push(() => secured.stop());
    const log = recordingLog();
    const wrong = source({
      port: secured.port,
      clientId: uniqueId('auth-wrong'),
      topics: ['t10/#'],
      onMessage: async () => {},
      log,
      settings: { username: 'daqd', password: 'wrong' },
    });
    await wrong.start();
    expect(wrong.connected).to.equal(false);
    // mosquitto 2.0 answers a bad password with "Not authorized" (0x87) under MQTT 5.
    const warnings = log.lines.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warnings).to.have.lengthOf(1);
    expect(warnings[0]).to.match(
      /^mqtt: broker mqtt:\/\/127\.0\.0\.1:\d+ refused the connection \((Not authorized|Bad User Name or Password)\); retrying$/,
    );
    await wrong.stop();

    const { messages, onMessage } = collector();
    const right = source({
      port: secured.port,
      clientId: uniqueId('auth-right'),
      topics: ['t10/#'],
      onMessage,
      settings: { username: 'daqd', password: 'right' },
    });
    await right.start();
    expect(right.connected).to.equal(true);
    await right.publish('t10/x', 'self', { qos: 1 });
    await waitFor('its own message', () => messages.length === 1);
  });

  it('speaks TLS: verifies the broker against ca_file, or not with tls_insecure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'daqd-mqtt-tls-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const { cert, key } = await selfSignedCert(dir);
    const tlsPort = await freePort();
    const secure = await startMosquitto({
      config: [`listener ${tlsPort} 127.0.0.1`, `certfile ${cert}`, `keyfile ${key}`],
    });
    cleanups.push(() => secure.stop());
    const tls = (overrides: Partial<MqttSettings>, log: Log = recordingLog()) =>
      source({
        port: tlsPort,
        clientId: uniqueId('tls'),
        topics: ['t14/#'],
        onMessage: async () => {},
        log,
        settings: { protocol: 'mqtts', ...overrides },
      });

    const unknownCaLog = recordingLog();
    const unknownCa = tls({}, unknownCaLog);
    await unknownCa.start();
    expect(unknownCa.connected).to.equal(false);
    expect(unknownCaLog.lines.filter((l) => l.level === 'warning').map((l) => l.message)).to.deep.equal([
      `mqtt: cannot reach broker mqtts://127.0.0.1:${tlsPort} (DEPTH_ZERO_SELF_SIGNED_CERT); retrying`,
    ]);
    await unknownCa.stop();

    const insecure = tls({ tls_insecure: true });
    await insecure.start();
    expect(insecure.connected).to.equal(true);
    await insecure.stop();

    const verified = tls({ ca_file: cert });
    await verified.start();
    expect(verified.connected).to.equal(true);
    await verified.publish('t14/x', 'over tls', { qos: 1 });
    await verified.stop();

    let failure: unknown;
    await tls({ ca_file: join(dir, 'missing.pem') })
      .start()
      .catch((err: unknown) => {
        failure = err;
      });
    expect(failure).to.be.instanceOf(DaqdError);
    expect((failure as DaqdError).message).to.include("cannot read ca_file '");
  });

  describe('against a broker without MQTT 5 (aedes)', () => {
    let aedes: Aedes;
    let server: Server;
    let port: number;
    /** Protocol version of every CONNECT the broker saw, by client id. */
    const connects: Array<{ clientId: string; version: number }> = [];
    const versionsOf = (clientId: string) =>
      connects.filter((c) => c.clientId === clientId).map((c) => c.version);
    const sessions = new Map<string, AedesClient>();
    /** Make the broker drop MQTT 5 CONNECTs without a CONNACK, as some 3.1.1 brokers do. */
    let dropV5 = false;

    before(async () => {
      aedes = await Aedes.createBroker();
      aedes.preConnect = (_client, packet, callback) => {
        connects.push({ clientId: packet.clientId, version: packet.protocolVersion ?? 0 });
        if (dropV5 && packet.protocolVersion === 5) callback(new Error('no MQTT 5 here'), false);
        else callback(null, true);
      };
      aedes.on('clientReady', (client) => sessions.set(client.id, client));
      server = createServer(aedes.handle);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
    });

    after(async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('falls back to 3.1.1 and keeps using it after a reconnect', async () => {
      const clientId = uniqueId('fallback');
      const log = recordingLog();
      const { messages, onMessage } = collector();
      const src = source({ port, clientId, topics: ['t11/#'], onMessage, log });
      await src.start();
      expect(src.connected).to.equal(true);
      expect(versionsOf(clientId)).to.deep.equal([5, 4]);
      expect(log.lines.map((l) => l.message)).to.include.members([
        `mqtt: broker mqtt://127.0.0.1:${port} does not support MQTT 5; using MQTT 3.1.1`,
        `mqtt: connected to broker mqtt://127.0.0.1:${port} as '${clientId}' (MQTT 3.1.1, new session)`,
      ]);
      const pub = await publisher(`mqtt://127.0.0.1:${port}`);
      await pub.publishAsync('t11/x', 'v4', { qos: 1 });
      await waitFor('the message', () => messages.length === 1);

      sessions.get(clientId)?.close();
      await waitFor('the drop to be noticed', () =>
        log.lines.some((l) => l.message.includes('lost connection')),
      );
      await waitFor('the reconnect', () => src.connected);
      expect(versionsOf(clientId)).to.deep.equal([5, 4, 4]);
      await pub.publishAsync('t11/x', 'again', { qos: 1 });
      await waitFor('the second message', () => messages.length === 2);
    });

    it('falls back when the broker drops an MQTT 5 CONNECT, and tries 5 again after a lost connection', async () => {
      dropV5 = true;
      cleanups.push(async () => {
        dropV5 = false;
      });
      const clientId = uniqueId('dropped');
      const log = recordingLog();
      const src = source({ port, clientId, topics: ['t13/#'], onMessage: async () => {}, log });
      await src.start();
      expect(src.connected).to.equal(true);
      expect(versionsOf(clientId)).to.deep.equal([5, 4]);
      expect(log.lines.map((l) => l.message)).to.include(
        `mqtt: broker mqtt://127.0.0.1:${port} closes MQTT 5 connections; using MQTT 3.1.1`,
      );

      sessions.get(clientId)?.close();
      await waitFor('the drop to be noticed', () =>
        log.lines.some((l) => l.message.includes('lost connection')),
      );
      await waitFor('the reconnect', () => src.connected);
      // A dropped connection is only a hint: after losing the connection it asks for 5 again.
      expect(versionsOf(clientId)).to.deep.equal([5, 4, 5, 4]);
    });

    it('does not try MQTT 5 when protocol_version is 4', async () => {
      const clientId = uniqueId('v4');
      const src = source({
        port,
        clientId,
        topics: ['t12/#'],
        onMessage: async () => {},
        settings: { protocol_version: 4 },
      });
      await src.start();
      expect(src.connected).to.equal(true);
      expect(versionsOf(clientId)).to.deep.equal([4]);
    });
  });
});
