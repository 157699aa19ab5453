import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Level } from 'level';
import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { EmbeddedBroker } from '../../lib/broker/embedded.js';
import { Qos2Ledger } from '../../lib/broker/qos2-ledger.js';
import type { MainMqttSettings } from '../../lib/config/settings.js';
import { silentLog } from '../../lib/core/log.js';
import { freePort } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';

function settings(port: number): MainMqttSettings {
  return {
    host: '127.0.0.1',
    port,
    protocol: 'mqtt',
    tls_insecure: false,
    client_id: 'daqd-test',
    protocol_version: 4,
    receive_maximum: 1000,
    keepalive: 60,
    embedded: true,
    websocket_port: 0,
  };
}

/** MQTT 3.1.1 CONNECT (clean session as given) on a raw socket; resolves after CONNACK. */
async function rawConnect(port: number, clientId: string, clean = true): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const id = Buffer.from(clientId);
  const flags = clean ? 0x02 : 0;
  const body = Buffer.concat([
    Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, 0, 60, 0, id.length]),
    id,
  ]);
  const connack = once(socket, 'data');
  socket.write(Buffer.concat([Buffer.from([0x10, body.length]), body]));
  await connack;
  return socket;
}

/** A QoS 2 PUBLISH without the DUP flag, as MQTT.js 5 sends a message again after a reconnect. */
function rawPublishQos2(topic: string, payload: string, messageId: number): Buffer {
  const name = Buffer.from(topic);
  const body = Buffer.concat([
    Buffer.from([name.length >> 8, name.length & 0xff]),
    name,
    Buffer.from([messageId >> 8, messageId & 0xff]),
    Buffer.from(payload),
  ]);
  return Buffer.concat([Buffer.from([0x34, body.length]), body]);
}

/** The message ids of the PUBRECs (0x50) a raw socket receives. */
function pubrecs(socket: Socket): number[] {
  const ids: number[] = [];
  socket.on('data', (data: Buffer) => {
    for (let at = data.indexOf(0x50); at !== -1 && at + 3 < data.length; at = data.indexOf(0x50, at + 4)) {
      ids.push(data.readUInt16BE(at + 2));
    }
  });
  return ids;
}

describe('Qos2Ledger', () => {
  let dir: string;
  let db: Level<string, string>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daqd-qos2-'));
    db = new Level<string, string>(dir);
    await db.open();
  });
  afterEach(async () => {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  const payload = Buffer.from('{"value": 1}');

  it('gives a message sent again (same client, packet id, topic, payload) its first receive time', async () => {
    const ledger = new Qos2Ledger(db);
    const first = await ledger.arrived('node-1', 7, 'r/n/g/x/data.json', payload);
    await new Promise((r) => setTimeout(r, 5));
    expect(await ledger.arrived('node-1', 7, 'r/n/g/x/data.json', payload)).to.equal(first);
  });

  it('gives new times to other messages: another payload, topic, packet id or client', async () => {
    const ledger = new Qos2Ledger(db);
    const first = await ledger.arrived('node-1', 7, 'r/t', payload);
    const others = [
      await ledger.arrived('node-1', 8, 'r/t', payload),
      await ledger.arrived('node-2', 7, 'r/t', payload),
      await ledger.arrived('node-3', 7, 'r/u', payload),
      await ledger.arrived('node-4', 7, 'r/t', Buffer.from('{"value": 2}')),
    ];
    // Strictly increasing, each later than the one before.
    expect([first, ...others]).to.deep.equal([first, ...others].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set([first, ...others]).size).to.equal(5);
    // The same id with another payload is a new message: it replaces the entry.
    const replaced = await ledger.arrived('node-1', 7, 'r/t', Buffer.from('other'));
    expect(replaced > first).to.equal(true);
    expect(await ledger.arrived('node-1', 7, 'r/t', Buffer.from('other'))).to.equal(replaced);
  });

  it('forgets a message at its release, and all of a client at a clean session', async () => {
    const ledger = new Qos2Ledger(db);
    const a = await ledger.arrived('node-1', 1, 'r/t', payload);
    const b = await ledger.arrived('node-1', 2, 'r/t', payload);
    const c = await ledger.arrived('node-10', 1, 'r/t', payload);
    await ledger.released('node-1', 1);
    expect(await ledger.arrived('node-1', 1, 'r/t', payload)).to.not.equal(a);
    await ledger.forget('node-1');
    expect(await ledger.arrived('node-1', 2, 'r/t', payload)).to.not.equal(b);
    // 'node-10' starts with 'node-1' but is another client.
    expect(await ledger.arrived('node-10', 1, 'r/t', payload)).to.equal(c);
  });

  it('keeps its entries on disk', async () => {
    const first = await new Qos2Ledger(db).arrived('node-1', 7, 'r/t', payload);
    await db.close();
    db = new Level<string, string>(dir);
    await db.open();
    expect(await new Qos2Ledger(db).arrived('node-1', 7, 'r/t', payload)).to.equal(first);
  });
});

describe('EmbeddedBroker: QoS 2 exactly once', () => {
  let dataDir: string;
  const brokers: EmbeddedBroker[] = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-broker-qos2-'));
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    for (const broker of brokers.splice(0)) await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startBroker(port: number): Promise<EmbeddedBroker> {
    const broker = new EmbeddedBroker({ settings: settings(port), dataDir, log: silentLog() });
    brokers.push(broker);
    await broker.start();
    return broker;
  }

  it('takes a QoS 2 message once when it is sent again without DUP before PUBREL (as MQTT.js does)', async () => {
    const port = await freePort();
    const broker = await startBroker(port);
    const tapped: string[] = [];
    broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
      tapped.push(message.payload.toString());
    });
    const socket = await rawConnect(port, 'qos2-no-dup');
    const recs = pubrecs(socket);
    socket.write(rawPublishQos2('hiveeyes/n/g/node/data.json', 'once', 9));
    await eventually('first PUBREC', async () => (recs.length === 1 ? true : undefined));
    socket.write(rawPublishQos2('hiveeyes/n/g/node/data.json', 'once', 9));
    await eventually('second PUBREC', async () => (recs.length === 2 ? true : undefined));
    socket.destroy();
    expect(recs).to.deep.equal([9, 9]);
    expect(tapped).to.deep.equal(['once']);
  });

  it('hands a QoS 2 message sent again after a broker restart over with its first receive time', async () => {
    const port = await freePort();
    const first = await startBroker(port);
    const times: bigint[] = [];
    // The realm takes it and never answers: daqd dies before the PUBREC.
    first.openTap('hiveeyes', ['hiveeyes/#'], (message) => {
      times.push(message.receivedAt);
      return new Promise(() => {});
    });
    const node = mqttConnect(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      clientId: 'qos2-node',
      clean: false,
      reconnectPeriod: 100,
    });
    clients.push(node);
    await new Promise((resolve) => node.once('connect', resolve));
    const publishing = node.publishAsync('hiveeyes/n/g/node/data.json', 'exactly once', { qos: 2 });
    await eventually('taken by the first broker', async () => (times.length === 1 ? true : undefined));
    await first.stop();

    const second = await startBroker(port);
    second.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
      times.push(message.receivedAt);
    });
    await publishing;
    expect(times).to.have.length(2);
    expect(times[1]).to.equal(times[0]);
  });

  it('keeps the order of a publisher whose QoS 1 messages follow a QoS 2 one', async () => {
    const port = await freePort();
    const broker = await startBroker(port);
    const tapped: string[] = [];
    broker.openTap('hiveeyes', ['hiveeyes/#'], async (message) => {
      tapped.push(message.payload.toString());
    });
    const node = mqttConnect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(node);
    await new Promise((resolve) => node.once('connect', resolve));
    const sent: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      sent.push(node.publishAsync('hiveeyes/n/g/node/data.json', String(i), { qos: i % 3 === 0 ? 2 : 1 }));
    }
    await Promise.all(sent);
    expect(tapped).to.deep.equal(Array.from({ length: 30 }, (_, i) => String(i)));
  });
});
