import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  connectAsync,
  ErrorWithSubackPacket,
  type IClientOptions,
  type MqttClient,
  connect as mqttConnect,
} from 'mqtt';
import { WebSocket } from 'ws';
import { RealmAcl } from '../../lib/broker/acl.js';
import { EmbeddedBroker } from '../../lib/broker/embedded.js';
import { parsePasswordFile } from '../../lib/broker/password-file.js';
import type { MainMqttSettings } from '../../lib/config/settings.js';
import { ConfigError, DaqdError } from '../../lib/core/errors.js';
import { silentLog } from '../../lib/core/log.js';
import { freePort } from '../support/daqd.js';

function settings(extra: Partial<MainMqttSettings> = {}): MainMqttSettings {
  return {
    host: '127.0.0.1',
    port: 0,
    protocol: 'mqtt',
    tls_insecure: false,
    client_id: 'daqd-test',
    protocol_version: 4,
    receive_maximum: 1000,
    keepalive: 60,
    embedded: true,
    websocket_port: 0,
    ...extra,
  };
}

/** Waits until `done()` holds, 5 s at most (the caller's assertion then says what is missing). */
async function settle(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(Error);
    return err as Error;
  }
  expect.fail('expected a rejection');
}

/** Resolves with the next message on `client`, or rejects after `ms`. */
function nextMessage(client: MqttClient, ms = 5000): Promise<{ topic: string; payload: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message within ${ms} ms`));
    }, ms);
    const onMessage = (topic: string, payload: Buffer) => {
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload: payload.toString() });
    };
    client.on('message', onMessage);
  });
}

/** An MQTT 3.1.1 CONNECT on a raw socket (clean session, 60 s keepalive); resolves after CONNACK. */
async function rawConnect(port: number, clientId: string): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const id = Buffer.from(clientId);
  const body = Buffer.concat([Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, 0, 60, 0, id.length]), id]);
  const connack = once(socket, 'data');
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  const [answer] = (await connack) as [Buffer];
  expect([...answer.subarray(0, 4)]).to.deep.equal([0x20, 2, 0, 0]);
  return socket;
}

/** A QoS 2 PUBLISH packet (DUP flag as given); topic and payload short enough for a one-byte length. */
function rawPublishQos2(topic: string, payload: string, messageId: number, dup: boolean): Buffer {
  const name = Buffer.from(topic);
  const body = Buffer.concat([
    Buffer.from([name.length >> 8, name.length & 0xff]),
    name,
    Buffer.from([messageId >> 8, messageId & 0xff]),
    Buffer.from(payload),
  ]);
  return Buffer.concat([Buffer.from([0x34 | (dup ? 0x08 : 0), body.length]), body]);
}

describe('EmbeddedBroker', () => {
  let dataDir: string;
  const brokers: EmbeddedBroker[] = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-broker-'));
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    for (const broker of brokers.splice(0)) await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startBroker(extra: Partial<MainMqttSettings> = {}, admitLater = false) {
    const broker = new EmbeddedBroker({
      settings: settings(extra),
      dataDir,
      log: silentLog(),
      admitLater,
    });
    brokers.push(broker);
    await broker.start();
    return { broker, port: broker.address()!.port };
  }

  async function connect(port: number, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** Connects expecting a refusal; returns the error. */
  async function refusedConnect(port: number, options: IClientOptions): Promise<Error> {
    let client: MqttClient | undefined;
    const err = await rejection(
      (async () => {
        client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
          protocolVersion: 4,
          reconnectPeriod: 0,
          ...options,
        });
        clients.push(client);
      })(),
    );
    return err;
  }

  async function writeAccessFile(name: string, text: string): Promise<string> {
    const file = join(dataDir, name);
    await writeFile(file, text);
    return file;
  }

  it('passes messages between clients (anonymous access without a password file)', async () => {
    const { port } = await startBroker();
    const sub = await connect(port);
    await sub.subscribeAsync('hiveeyes/#', { qos: 1 });
    const pub = await connect(port);
    const received = nextMessage(sub);
    await pub.publishAsync('hiveeyes/testdrive/area-38/fipy-01/data.json', '{"temperature": 42.84}', {
      qos: 1,
    });
    expect(await received).to.deep.equal({
      topic: 'hiveeyes/testdrive/area-38/fipy-01/data.json',
      payload: '{"temperature": 42.84}',
    });
  });

  it('with admitLater: clients wait for their CONNACK until admitClients(); taps opened before see it all', async () => {
    const { broker, port } = await startBroker({}, true);
    const tapped: string[] = [];
    broker.openTap('hiverize', ['hiverize/#'], async (message) => {
      tapped.push(message.payload.toString());
    });
    let nodeConnected = false;
    const nodeConnecting = connect(port, { clientId: 'node-1' }).then((client) => {
      nodeConnected = true;
      return client;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(nodeConnected).to.equal(false);
    broker.admitClients();
    const node = await nodeConnecting;
    await node.publishAsync('hiverize/testdrive/area-42/node-1/data.json', '{"weight": 42.1}', { qos: 1 });
    expect(tapped).to.deep.equal(['{"weight": 42.1}']);
  });

  it('refuses MQTT 5 with "unacceptable protocol version" (daqd falls back to 3.1.1)', async () => {
    const { port } = await startBroker();
    const err = await refusedConnect(port, { protocolVersion: 5 });
    expect(err.message).to.equal('Connection refused: Unacceptable protocol version');
    expect((err as Error & { code?: number }).code).to.equal(1);
    const v311 = await connect(port, { protocolVersion: 4 });
    expect(v311.connected).to.equal(true);
  });

  it('authenticates against the password file; a wrong or missing password is not authorized', async () => {
    const passwordFile = await writeAccessFile(
      'passwd',
      '# users of the test broker\nalice:s3cret:with colon\n\nbob:hunter2\n',
    );
    const { port } = await startBroker({ password_file: passwordFile });
    const alice = await connect(port, { username: 'alice', password: 's3cret:with colon' });
    expect(alice.connected).to.equal(true);

    for (const options of [
      { username: 'alice', password: 'wrong' },
      { username: 'alice' },
      { username: 'mallory', password: 'hunter2' },
      {},
    ]) {
      const err = await refusedConnect(port, options);
      expect(err.message, JSON.stringify(options)).to.match(/not authorized/i);
      expect((err as Error & { code?: number }).code).to.equal(5);
    }
  });

  it('reads the password and ACL files again on reloadAccess; a bad file leaves the rules in use', async () => {
    const passwordFile = await writeAccessFile('passwd', 'alice:a\n');
    const aclFile = await writeAccessFile('acl', 'alice = hiveeyes\n');
    const { broker, port } = await startBroker({ password_file: passwordFile, acl_file: aclFile });
    expect((await refusedConnect(port, { username: 'bob', password: 'b' })).message).to.match(
      /not authorized/i,
    );

    await writeFile(passwordFile, 'alice:a\nbob:b\n');
    await writeFile(aclFile, 'alice = hiveeyes\nbob = hiverize\n');
    await broker.reloadAccess();
    const bob = await connect(port, { username: 'bob', password: 'b' });
    const tapped: string[] = [];
    broker.openTap('hiverize', ['hiverize/#'], async (message) => {
      tapped.push(message.topic);
    });
    await bob.publishAsync('hiverize/n/g/node/data.json', '{"x": 1}', { qos: 1 });
    expect(tapped).to.deep.equal(['hiverize/n/g/node/data.json']);

    // A bad line: nothing of either file is taken, bob keeps his grant and his password.
    await writeFile(passwordFile, 'alice:a\n');
    await writeFile(aclFile, 'bob = hiverize/x\n');
    await broker.reloadAccess();
    expect((await connect(port, { username: 'bob', password: 'b' })).connected).to.equal(true);
    await bob.publishAsync('hiverize/n/g/node/data.json', '{"x": 2}', { qos: 1 });
    expect(tapped).to.have.length(2);

    // Revoked: the ACL counts at once for a connected client, the password for the next CONNECT.
    await writeFile(aclFile, 'alice = hiveeyes\n');
    await broker.reloadAccess();
    const closed = new Promise<void>((resolve) => bob.once('close', () => resolve()));
    bob.publish('hiverize/n/g/node/data.json', '{"x": 3}', { qos: 0 });
    await closed;
    expect(tapped).to.have.length(2);
    expect((await refusedConnect(port, { username: 'bob', password: 'b' })).message).to.match(
      /not authorized/i,
    );
  });

  it('refuses a publish into a realm the user is not granted; subscribers never see it', async () => {
    const passwordFile = await writeAccessFile('passwd', 'alice:a\nbob:b\nroot:r\n');
    const aclFile = await writeAccessFile(
      'acl',
      '# grants\nalice = hiveeyes, mqttkit-1\nbob = hiveeyes\nroot = *\n',
    );
    const { port } = await startBroker({ password_file: passwordFile, acl_file: aclFile });
    const watcher = await connect(port, { username: 'root', password: 'r' });
    await watcher.subscribeAsync('#', { qos: 1 });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));

    const alice = await connect(port, { username: 'alice', password: 'a' });
    const closed = new Promise<void>((resolve) => alice.once('close', () => resolve()));
    // QoS 0: the broker refuses it and closes the connection (MQTT 3.1.1 has no refusal code for PUBLISH).
    alice.publish('weather/secret/data.json', '{"x": 1}');
    await closed;

    const bob = await connect(port, { username: 'bob', password: 'b' });
    const marker = nextMessage(watcher);
    await bob.publishAsync('hiveeyes/node-1/data.json', '{"x": 2}', { qos: 1 });
    expect((await marker).topic).to.equal('hiveeyes/node-1/data.json');
    expect(seen).to.deep.equal(['hiveeyes/node-1/data.json']);

    // Subscriptions: only inside granted realms; a wildcard first level needs `*`.
    const err = await rejection(bob.subscribeAsync(['hiveeyes/#', 'weather/#', '#', '+/node-1/data.json']));
    expect(err).to.be.instanceOf(ErrorWithSubackPacket);
    expect((err as ErrorWithSubackPacket).packet.granted).to.deep.equal([0, 128, 128, 128]);
    const root = await connect(port, { username: 'root', password: 'r' });
    expect((await root.subscribeAsync('#'))[0]!.qos).to.equal(0);
    const rootMessage = nextMessage(root);
    await root.publishAsync('anything/at/all', 'ok', { qos: 1 });
    expect((await rootMessage).topic).to.equal('anything/at/all');
  });

  it('lets authenticated users publish anywhere when there is no ACL, but never to $SYS', async () => {
    const passwordFile = await writeAccessFile('passwd', 'alice:a\n');
    const { port } = await startBroker({ password_file: passwordFile });
    const alice = await connect(port, { username: 'alice', password: 'a' });
    await alice.subscribeAsync('#', { qos: 1 });
    const message = nextMessage(alice);
    await alice.publishAsync('weather/station-1/data.json', '{"t": 1}', { qos: 1 });
    expect((await message).topic).to.equal('weather/station-1/data.json');

    const closed = new Promise<void>((resolve) => alice.once('close', () => resolve()));
    alice.publish('$SYS/fake', 'x');
    await closed;
  });

  it('delivers every QoS 1 message live, also when QoS 0 messages overtake it inside the broker', async () => {
    // aedes acknowledges a QoS 1 message before it is in the session store and passes QoS 0 messages
    // on at once; its own duplicate filter then took an overtaken QoS 1 message for a duplicate.
    const { port } = await startBroker();
    const sub = await connect(port, { clientId: 'subscriber-a', clean: false });
    await sub.subscribeAsync('hiveeyes/#', { qos: 1 });
    const got = new Set<string>();
    sub.on('message', (_topic, payload) => got.add(payload.toString()));
    const reliable = await connect(port);
    const chatty = await connect(port);
    const count = 200;
    for (let i = 0; i < count; i++) {
      await reliable.publishAsync('hiveeyes/a/data.json', `a${i}`, { qos: 1 });
      chatty.publish('hiveeyes/b/data.json', `b${i}`, { qos: 0 });
    }
    const expected = Array.from({ length: count }, (_, i) => `a${i}`);
    await settle(() => expected.every((a) => got.has(a)));
    expect(expected.filter((a) => !got.has(a))).to.deep.equal([]);
  });

  it('delivers a message once to a client whose subscriptions overlap', async () => {
    const { port } = await startBroker();
    const sub = await connect(port, { clientId: 'subscriber-a', clean: false });
    await sub.subscribeAsync({ 'hiveeyes/#': { qos: 1 }, 'hiveeyes/+/data.json': { qos: 1 } });
    const got: string[] = [];
    sub.on('message', (_topic, payload) => got.push(payload.toString()));
    const pub = await connect(port);
    for (let i = 0; i < 20; i++)
      await pub.publishAsync('hiveeyes/a/data.json', `m${i}`, { qos: i % 2 ? 1 : 0 });
    // A marker per QoS after them: a publisher's messages of one topic and QoS arrive in order (MQTT
    // 5 §4.6.0), a copy together with its original, so once both markers are here a copy of any of the
    // twenty would be here too.
    await pub.publishAsync('hiveeyes/a/data.json', 'marker-0', { qos: 0 });
    await pub.publishAsync('hiveeyes/a/data.json', 'marker-1', { qos: 1 });
    const expected = [...Array.from({ length: 20 }, (_, i) => `m${i}`), 'marker-0', 'marker-1'].sort();
    await settle(() => got.includes('marker-0') && got.includes('marker-1'));
    // Each once (QoS 0 ones may come before QoS 1 ones published earlier).
    expect([...got].sort()).to.deep.equal(expected);
  });

  describe("taps (how daqd takes its realms' messages)", () => {
    it('acknowledges a QoS 1 publish only once the tap settled, and routes it to subscribers after', async () => {
      const { broker, port } = await startBroker();
      let release!: () => void;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tapped: string[] = [];
      broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
        tapped.push(message.topic);
        await gate;
      });
      const sub = await connect(port);
      await sub.subscribeAsync('hiveeyes/#', { qos: 1 });
      const seen: string[] = [];
      sub.on('message', (topic) => seen.push(topic));
      const pub = await connect(port);
      let acked = false;
      const publishing = pub.publishAsync('hiveeyes/a/b/c/data.json', '{"x": 1}', { qos: 1 }).then(() => {
        acked = true;
      });
      await settle(() => tapped.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(tapped).to.deep.equal(['hiveeyes/a/b/c/data.json']);
      expect(acked, 'PUBACK before the tap settled').to.equal(false);
      expect(seen).to.deep.equal([]);
      release();
      await publishing;
      await settle(() => seen.length === 1);
      expect(seen).to.deep.equal(['hiveeyes/a/b/c/data.json']);
      expect(broker.tapOpen('hiveeyes')).to.equal(true);
      expect(broker.tapOpen('weather')).to.equal(false);
    });

    it("hands a publisher's messages to the tap in the order sent, under load", async () => {
      const { broker, port } = await startBroker();
      const order: number[] = [];
      broker.openTap('load', ['load/#'], async (message) => {
        order.push(Number(message.payload.toString()));
        // Settle out of order, as stored batches and errors would.
        await new Promise((resolve) => setTimeout(resolve, order.length % 7));
      });
      const pub = await connect(port);
      const count = 3000;
      await Promise.all(
        Array.from({ length: count }, (_, i) =>
          pub.publishAsync('load/n/g/node/data.json', String(i), { qos: i % 3 ? 1 : 0 }),
        ),
      );
      await settle(() => order.length === count);
      expect(order).to.deep.equal(Array.from({ length: count }, (_, i) => i));
    });

    it('holds messages while a tap is paused, unacknowledged, and hands them to it when it opens again', async () => {
      const { broker, port } = await startBroker();
      const first: string[] = [];
      broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
        first.push(message.payload.toString());
      });
      const pub = await connect(port);
      await pub.publishAsync('hiveeyes/n/g/node/data.json', 'before', { qos: 1 });
      await broker.pauseTap('hiveeyes');
      expect(broker.tapOpen('hiveeyes')).to.equal(false);
      let acked = false;
      const publishing = pub.publishAsync('hiveeyes/n/g/node/data.json', 'during', { qos: 1 }).then(() => {
        acked = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(acked).to.equal(false);
      const second: string[] = [];
      broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
        second.push(message.payload.toString());
      });
      await publishing;
      expect(first).to.deep.equal(['before']);
      expect(second).to.deep.equal(['during']);
    });

    it('leaves held messages unacknowledged when it stops: the publisher sends them again to the next start', async () => {
      const port = await freePort();
      const first = await startBroker({ port });
      first.broker.openTap('hiveeyes', ['hiveeyes/#'], async () => undefined);
      await first.broker.pauseTap('hiveeyes');
      const pub = mqttConnect(`mqtt://127.0.0.1:${port}`, {
        protocolVersion: 4,
        clientId: 'node-1',
        clean: false,
        reconnectPeriod: 100,
      });
      clients.push(pub);
      await new Promise((resolve) => pub.once('connect', resolve));
      const publishing = pub.publishAsync('hiveeyes/n/g/node-1/data.json', 'across a restart', { qos: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.broker.stop();

      const second = await startBroker({ port });
      const tapped: string[] = [];
      second.broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
        tapped.push(message.payload.toString());
      });
      await publishing;
      expect(tapped).to.deep.equal(['across a restart']);
    });

    it('takes a QoS 2 message once, also when the publisher sends it again (DUP) before PUBREL', async () => {
      const { broker, port } = await startBroker();
      const tapped: string[] = [];
      broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
        tapped.push(message.payload.toString());
      });
      const socket = await rawConnect(port, 'qos2-node');
      const pubrecs: number[] = [];
      socket.on('data', (data: Buffer) => {
        // PUBREC: 0x50, length 2, message id.
        for (
          let at = data.indexOf(0x50);
          at !== -1 && at + 3 < data.length;
          at = data.indexOf(0x50, at + 4)
        ) {
          pubrecs.push(data.readUInt16BE(at + 2));
        }
      });
      socket.write(rawPublishQos2('hiveeyes/n/g/node/data.json', 'exactly once', 7, false));
      await settle(() => pubrecs.length === 1);
      socket.write(rawPublishQos2('hiveeyes/n/g/node/data.json', 'exactly once', 7, true));
      await settle(() => pubrecs.length === 2);
      socket.destroy();
      expect(pubrecs).to.deep.equal([7, 7]);
      expect(tapped).to.deep.equal(['exactly once']);
    });
  });

  it('keeps a clean=false subscription across a broker restart', async () => {
    const first = await startBroker();
    const a = await connect(first.port, { clientId: 'subscriber-a', clean: false });
    await a.subscribeAsync('hiveeyes/#', { qos: 1 });
    await a.endAsync();
    await first.broker.stop();

    const second = await startBroker();
    const b = await connect(second.port, { clientId: 'publisher-b' });
    await b.publishAsync('hiveeyes/node-1/data.json', 'while away', { qos: 1 });

    const a2 = mqttConnect(`mqtt://127.0.0.1:${second.port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'subscriber-a',
      clean: false,
      manualConnect: true,
    });
    clients.push(a2);
    const received = nextMessage(a2);
    const connack = new Promise<boolean>((resolve) =>
      a2.once('connect', (packet) => resolve(packet.sessionPresent)),
    );
    a2.connect();
    expect(await connack).to.equal(true);
    expect(await received).to.deep.equal({ topic: 'hiveeyes/node-1/data.json', payload: 'while away' });
  });

  it('delivers QoS 1 messages queued for an absent subscriber after the broker restarts', async () => {
    const first = await startBroker();
    const a = await connect(first.port, { clientId: 'subscriber-a', clean: false });
    await a.subscribeAsync('hiveeyes/#', { qos: 1 });
    await a.endAsync();

    const b = await connect(first.port, { clientId: 'publisher-b' });
    for (let i = 1; i <= 3; i++) await b.publishAsync(`hiveeyes/node-1/m${i}`, `queued ${i}`, { qos: 1 });
    await b.endAsync();
    await first.broker.stop();

    const second = await startBroker();
    const a2 = mqttConnect(`mqtt://127.0.0.1:${second.port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: 'subscriber-a',
      clean: false,
      manualConnect: true,
    });
    clients.push(a2);
    const got: string[] = [];
    a2.on('message', (_topic, payload) => got.push(payload.toString()));
    a2.connect();
    for (let waited = 0; got.length < 3 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(got).to.deep.equal(['queued 1', 'queued 2', 'queued 3']);
  });

  it('serves MQTT over WebSocket next to TCP, with the same access rules', async () => {
    const passwordFile = await writeAccessFile('passwd', 'alice:a\n');
    const websocketPort = await freePort();
    const { broker, port } = await startBroker({
      password_file: passwordFile,
      websocket_port: websocketPort,
    });
    expect(broker.websocketAddress()).to.deep.equal({ host: '127.0.0.1', port: websocketPort });
    const url = `ws://127.0.0.1:${websocketPort}`;

    const tcp = await connect(port, { username: 'alice', password: 'a' });
    await tcp.subscribeAsync('hiveeyes/#', { qos: 1 });
    const ws = await connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      username: 'alice',
      password: 'a',
    });
    clients.push(ws);
    const overTcp = nextMessage(tcp);
    await ws.publishAsync('hiveeyes/testdrive/area-42/node-1/data.json', '{"temperature": 21.5}', { qos: 1 });
    expect(await overTcp).to.deep.equal({
      topic: 'hiveeyes/testdrive/area-42/node-1/data.json',
      payload: '{"temperature": 21.5}',
    });

    // And back: a WebSocket subscriber gets what a TCP client publishes.
    await ws.subscribeAsync('weather/#', { qos: 1 });
    const overWs = nextMessage(ws);
    await tcp.publishAsync('weather/station-1/data.json', '{"t": 1}', { qos: 1 });
    expect(await overWs).to.deep.equal({ topic: 'weather/station-1/data.json', payload: '{"t": 1}' });

    let refused: MqttClient | undefined;
    const err = await rejection(
      (async () => {
        refused = await connectAsync(url, {
          protocolVersion: 4,
          reconnectPeriod: 0,
          username: 'alice',
          password: 'b',
        });
      })(),
    );
    if (refused !== undefined) clients.push(refused);
    expect(err.message).to.match(/not authorized/i);

    // A plain HTTP request is told to upgrade.
    const response = await fetch(`http://127.0.0.1:${websocketPort}/`);
    expect(response.status).to.equal(426);
    await response.text();

    // A WebSocket that breaks off mid-packet harms nobody else.
    const raw = new WebSocket(url, 'mqtt');
    await once(raw, 'open');
    raw.send(Buffer.from([0x10, 0x20, 0x00]));
    raw.terminate();
    const still = nextMessage(tcp);
    await ws.publishAsync('hiveeyes/still/there', 'yes', { qos: 1 });
    expect((await still).payload).to.equal('yes');
  });

  it('stops the WebSocket listener too: clients are closed and the port is free again', async () => {
    const websocketPort = await freePort();
    const { broker } = await startBroker({ websocket_port: websocketPort });
    const ws = await connectAsync(`ws://127.0.0.1:${websocketPort}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    clients.push(ws);
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    await broker.stop();
    await closed;
    expect(broker.websocketAddress()).to.equal(undefined);
    const probe: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(websocketPort, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  it('fails start with a clear error when the WebSocket port is taken, and leaves nothing open', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    try {
      const websocketPort = (blocker.address() as { port: number }).port;
      const tcpPort = await freePort();
      const broker = new EmbeddedBroker({
        settings: settings({ port: tcpPort, websocket_port: websocketPort }),
        dataDir,
        log: silentLog(),
      });
      brokers.push(broker);
      const err = await rejection(broker.start());
      expect(err).to.be.instanceOf(DaqdError);
      expect(err.message).to.equal(
        `embedded broker: cannot listen on 127.0.0.1:${websocketPort} (WebSocket): address already in use`,
      );
      expect(broker.address()).to.equal(undefined);
      // The TCP listener was closed again, and the session store too: a broker can take both.
      const { port } = await startBroker({ port: tcpPort });
      expect(port).to.equal(tcpPort);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('fails start with a clear error when the port is taken, and leaves nothing open', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (blocker.address() as { port: number }).port;
      const broker = new EmbeddedBroker({ settings: settings({ port }), dataDir, log: silentLog() });
      brokers.push(broker);
      const err = await rejection(broker.start());
      expect(err).to.be.instanceOf(DaqdError);
      expect(err.message).to.equal(
        `embedded broker: cannot listen on 127.0.0.1:${port}: address already in use`,
      );
      // The session store was closed again: another broker can open it.
      const { port: otherPort } = await startBroker();
      expect(otherPort).to.be.a('number');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses a second broker on the same session store while the first runs', async () => {
    await startBroker();
    const second = new EmbeddedBroker({ settings: settings(), dataDir, log: silentLog() });
    brokers.push(second);
    const err = await rejection(second.start());
    expect(err).to.be.instanceOf(DaqdError);
    expect(err.message).to.match(/^embedded broker: cannot open session store '.*': .*lock/i);
  });

  it('fails start with a ConfigError naming the line of a bad access file', async () => {
    const aclFile = await writeAccessFile('acl', 'alice = hiveeyes\nbob hiveeyes\n');
    const broker = new EmbeddedBroker({
      settings: settings({ acl_file: aclFile }),
      dataDir,
      log: silentLog(),
    });
    brokers.push(broker);
    const err = await rejection(broker.start());
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).format()).to.equal(
      `${aclFile}:2: mqtt.acl_file: expected 'user = realm1, realm2'`,
    );
    const missing = new EmbeddedBroker({
      settings: settings({ password_file: join(dataDir, 'nope') }),
      dataDir,
      log: silentLog(),
    });
    expect(await rejection(missing.start())).to.be.instanceOf(ConfigError);
  });

  it('stops cleanly when stop is called while start is still under way', async () => {
    const broker = new EmbeddedBroker({ settings: settings(), dataDir, log: silentLog() });
    brokers.push(broker);
    const started = broker.start();
    const stopped = broker.stop();
    await started;
    await stopped;
    expect(broker.address()).to.equal(undefined);
    // Everything it opened is closed: the session store can be opened again, and started again.
    const { port } = await startBroker();
    expect((await connect(port)).connected).to.equal(true);
  });

  it('stops idempotently, closes client connections, and can start again', async () => {
    const { broker, port } = await startBroker();
    const client = await connect(port);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    await Promise.all([broker.stop(), broker.stop()]);
    await broker.stop();
    await closed;
    expect(broker.address()).to.equal(undefined);
    // The same instance starts again on the same session store.
    await broker.start();
    expect(broker.address()?.port).to.be.a('number');
  });
});

describe('parsePasswordFile', () => {
  it('reads user:password lines, skipping comments and blank lines', () => {
    const users = parsePasswordFile('# comment\n\nalice:pw:with:colons\r\nbob: spaced \n', 'passwd');
    expect([...users]).to.deep.equal([
      ['alice', 'pw:with:colons'],
      ['bob', ' spaced '],
    ]);
  });

  for (const [text, problem] of [
    ['alice\n', "1: mqtt.password_file: expected 'user:password'"],
    ['alice:a\n:b\n', '2: mqtt.password_file: empty user name'],
    ['alice:\n', "1: mqtt.password_file: user 'alice': empty password"],
    ['alice:a\nalice:b\n', "2: mqtt.password_file: user 'alice' is listed twice"],
    [
      'alice:$7$101$abc\n',
      "1: mqtt.password_file: user 'alice': password looks like a mosquitto_passwd hash",
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      try {
        parsePasswordFile(text, 'passwd');
        expect.fail('expected a ConfigError');
      } catch (err) {
        expect(err).to.be.instanceOf(ConfigError);
        expect((err as ConfigError).format()).to.include(`passwd:${problem}`);
      }
    });
  }
});

describe('RealmAcl', () => {
  const acl = RealmAcl.parse('# realms\nalice = hiveeyes, mqttkit-1\nroot = *\n\n', 'acl');

  it('grants publishing into granted realms only', () => {
    expect(acl.mayPublish('alice', 'hiveeyes/a/b/c/data.json')).to.equal(true);
    expect(acl.mayPublish('alice', 'mqttkit-1/x')).to.equal(true);
    expect(acl.mayPublish('alice', 'hiveeyes')).to.equal(true);
    expect(acl.mayPublish('alice', 'hiveeyes-evil/x')).to.equal(false);
    expect(acl.mayPublish('alice', 'weather/x')).to.equal(false);
    expect(acl.mayPublish('nobody', 'hiveeyes/x')).to.equal(false);
    expect(acl.mayPublish(undefined, 'hiveeyes/x')).to.equal(false);
    expect(acl.mayPublish('root', 'weather/x')).to.equal(true);
  });

  it('grants subscriptions inside granted realms; a wildcard realm needs *', () => {
    expect(acl.maySubscribe('alice', 'hiveeyes/#')).to.equal(true);
    expect(acl.maySubscribe('alice', '$share/daqd/hiveeyes/#')).to.equal(true);
    expect(acl.maySubscribe('alice', '$share/daqd/weather/#')).to.equal(false);
    expect(acl.maySubscribe('alice', '#')).to.equal(false);
    expect(acl.maySubscribe('alice', '+/x')).to.equal(false);
    expect(acl.maySubscribe('root', '#')).to.equal(true);
  });

  it('refuses bad lines with file and line', () => {
    expect(() => RealmAcl.parse('alice = \n', 'acl')).to.throw(
      ConfigError,
      "user 'alice': no realms granted",
    );
    expect(() => RealmAcl.parse('alice = a/b\n', 'acl')).to.throw(ConfigError, 'is not a realm name');
    expect(() => RealmAcl.parse(' = a\n', 'acl')).to.throw(ConfigError, 'empty user name');
  });
});
