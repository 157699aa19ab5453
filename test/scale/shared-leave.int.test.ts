import { expect } from 'chai';
import mqtt, { type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import { eventually } from '../support/eventually.js';
import { type MosquittoProcess, startMosquitto } from '../support/mosquitto.js';

/**
 * What mosquitto does with a member of a shared subscription that leaves the group, measured with
 * plain MQTT.js clients (MQTT 5, persistent sessions as daqd keeps them: no clean start, session
 * expiry "never"). daqd's stop of a shared member (`acquire/source/mqtt-leave.ts`) relies on these:
 *
 * - a member that disconnects without unsubscribing keeps its place in the round robin: its share
 *   waits in its session;
 * - an UNSUBSCRIBE of `$share/<group>/<filter>` takes the member out of the round robin at once;
 * - what was queued for the member before still comes to it, after the UNSUBACK, as its PUBACKs
 *   free room: not dropped, not handed to another member;
 * - what is in flight unacknowledged when it disconnects stays in its session (sent again when
 *   that client id connects), never to another member;
 * - the broker answers a PINGREQ after the PUBLISHes that the PUBACKs written before it released,
 *   so a PINGRESP with no PUBLISH before it says the session's queue is empty.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** PINGREQ and a PUBACK, written by hand: the test decides when each goes out. */
const PINGREQ = Buffer.from([0xc0, 0x00]);
function puback(id: number): Buffer {
  const packet = Buffer.from([0x40, 2, 0, 0]);
  packet.writeUInt16BE(id, 2);
  return packet;
}

/** One member: the payloads it received (numbers), what it has not acknowledged yet, in order. */
interface Member {
  client: MqttClient;
  id: string;
  sessionPresent: boolean;
  got: number[];
  unacked: number[];
  /** `P<n>` per PUBLISH, `PINGRESP`, `UNSUBACK`, in arrival order. */
  events: string[];
}

describe('scale-out: mosquitto and a shared-subscription member that leaves the group', function () {
  this.timeout(60_000);
  let broker: MosquittoProcess;
  let run = 0;
  let group = '';
  let filter = '';
  let topic = '';
  const clients: MqttClient[] = [];

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
  });
  beforeEach(() => {
    run++;
    group = `g${run}`;
    topic = `leave${run}/node/data`;
    filter = `$share/${group}/leave${run}/#`;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.endAsync(true);
  });

  /** Connects a member as daqd does (persistent MQTT 5 session); `ack` false: the test acknowledges. */
  async function member(
    id: string,
    options: { receiveMaximum?: number; ack?: boolean } = {},
  ): Promise<Member> {
    const client = mqtt.connect(broker.url, {
      clientId: `${id}-${run}`,
      clean: false,
      protocolVersion: 5,
      reconnectPeriod: 0,
      manualConnect: true,
      properties: { sessionExpiryInterval: 0xffffffff, receiveMaximum: options.receiveMaximum ?? 100 },
    });
    clients.push(client);
    const m: Member = { client, id, sessionPresent: false, got: [], unacked: [], events: [] };
    client.handleMessage = (packet: IPublishPacket, done) => {
      const n = Number(packet.payload.toString());
      m.got.push(n);
      m.events.push(`P${n}`);
      if (packet.qos !== 1 || packet.messageId === undefined) return done();
      if (options.ack === false) m.unacked.push(packet.messageId);
      else client.stream.write(puback(packet.messageId));
      // An error keeps MQTT.js from writing a PUBACK of its own.
      done(new Error('acknowledged by the test'));
    };
    client.on('packetreceive', (packet: Packet) => {
      if (packet.cmd === 'pingresp') m.events.push('PINGRESP');
      if (packet.cmd === 'unsuback') m.events.push('UNSUBACK');
    });
    m.sessionPresent = await new Promise<boolean>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.sessionPresent));
      client.once('error', reject);
      client.connect();
    });
    return m;
  }

  /** Ends a member's connection with a DISCONNECT (its session stays). */
  async function away(m: Member): Promise<void> {
    await m.client.endAsync();
    clients.splice(clients.indexOf(m.client), 1);
  }

  /** Publishes payloads `from` … `from + count - 1` at QoS 1, one after the other. */
  async function publish(from: number, count: number): Promise<void> {
    const pub = await mqtt.connectAsync(broker.url, { clientId: `pub-${run}-${from}`, clean: true });
    for (let n = from; n < from + count; n++) await pub.publishAsync(topic, String(n), { qos: 1 });
    await pub.endAsync();
  }

  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
  const sorted = (list: readonly number[]) => [...list].sort((a, b) => a - b);

  it('a member that disconnects without unsubscribing keeps getting its share in its session', async () => {
    const a = await member('a');
    const b = await member('b');
    await a.client.subscribeAsync(filter, { qos: 1 });
    await b.client.subscribeAsync(filter, { qos: 1 });
    await away(a);
    await publish(0, 60);
    await sleep(300);
    const back = await member('a');
    expect(back.sessionPresent).to.equal(true);
    await eventually('every message at a or b', async () =>
      back.got.length + b.got.length >= 60 ? true : undefined,
    );
    process.stdout.write(
      `      away without UNSUBSCRIBE: b got ${b.got.length} of 60, a's session ${back.got.length}\n`,
    );
    expect(b.got.length).to.be.below(60);
    expect(sorted([...back.got, ...b.got])).to.deep.equal(range(0, 60));
  });

  it('UNSUBSCRIBE takes a member out of the round robin at once', async () => {
    const a = await member('a');
    const b = await member('b');
    await a.client.subscribeAsync(filter, { qos: 1 });
    await b.client.subscribeAsync(filter, { qos: 1 });
    await publish(0, 20);
    await eventually('20 messages', async () => (a.got.length + b.got.length >= 20 ? true : undefined));
    expect(a.got.length, 'a has a share while subscribed').to.be.above(0);
    await a.client.unsubscribeAsync(filter);
    const before = a.got.length;
    await publish(100, 40);
    await eventually('40 more at b', async () =>
      b.got.filter((n) => n >= 100).length >= 40 ? true : undefined,
    );
    await sleep(200);
    expect(a.got.length, 'a after its UNSUBACK').to.equal(before);
    expect(sorted(b.got.filter((n) => n >= 100))).to.deep.equal(range(100, 40));
  });

  it('messages queued for a member before its UNSUBSCRIBE still come to it, as its PUBACKs free room', async () => {
    const a = await member('a');
    const b = await member('b');
    await a.client.subscribeAsync(filter, { qos: 1 });
    await b.client.subscribeAsync(filter, { qos: 1 });
    await away(a);
    await publish(0, 200);
    await eventually('b has its share', async () => (b.got.length >= 100 ? true : undefined));
    await sleep(200);
    const queued = 200 - b.got.length;
    // Back with a small receive window and no acknowledgements yet: most of its backlog stays queued.
    const back = await member('a', { receiveMaximum: 5, ack: false });
    back.client.unsubscribe(filter);
    await eventually('UNSUBACK', async () => (back.events.includes('UNSUBACK') ? true : undefined));
    await sleep(200);
    const beforeAcks = back.got.length;
    // Published after the UNSUBACK: all of it goes to b.
    await publish(1000, 20);
    await eventually('20 more at b', async () =>
      b.got.filter((n) => n >= 1000).length >= 20 ? true : undefined,
    );
    // Now a acknowledges, one window at a time: its backlog comes, none of the new messages.
    for (let round = 0; round < 200 && back.got.length < queued; round++) {
      for (const id of back.unacked.splice(0)) back.client.stream.write(puback(id));
      await sleep(20);
    }
    for (const id of back.unacked.splice(0)) back.client.stream.write(puback(id));
    await sleep(300);
    process.stdout.write(
      `      queued for a: ${queued}; before its first PUBACK after the UNSUBACK it had ${beforeAcks}, ` +
        `then all ${back.got.length}; b got the 20 published after the UNSUBACK\n`,
    );
    expect(beforeAcks, 'the window held most of the backlog back').to.be.below(queued);
    expect(sorted(back.got)).to.deep.equal(sorted(range(0, 200).filter((n) => !b.got.includes(n))));
    expect(back.got.filter((n) => n >= 1000)).to.deep.equal([]);
  });

  it('messages in flight when a member unsubscribes and disconnects stay in its session, not with others', async () => {
    const a = await member('a', { receiveMaximum: 10, ack: false });
    const b = await member('b');
    await a.client.subscribeAsync(filter, { qos: 1 });
    await b.client.subscribeAsync(filter, { qos: 1 });
    await publish(0, 40);
    await eventually('a has a full window', async () => (a.got.length >= 10 ? true : undefined));
    await sleep(200);
    const held = sorted(a.got);
    await a.client.unsubscribeAsync(filter);
    await away(a);
    await publish(100, 20);
    await eventually('b got all 20 published after', async () =>
      b.got.filter((n) => n >= 100).length >= 20 ? true : undefined,
    );
    await sleep(300);
    expect(
      b.got.filter((n) => held.includes(n)),
      'nothing a held reaches b',
    ).to.deep.equal([]);
    // a returns (no SUBSCRIBE): its session sends what it held unacknowledged (and what was queued
    // for it behind its window), nothing published after it left.
    const back = await member('a');
    expect(back.sessionPresent).to.equal(true);
    await eventually('a and b together have all 40', async () =>
      back.got.length + b.got.filter((n) => n < 100).length >= 40 ? true : undefined,
    );
    await sleep(300);
    process.stdout.write(
      `      in flight at a when it left: ${held.length}; a's session sent ${back.got.length} on its return\n`,
    );
    expect(back.got).to.include.members(held);
    expect(back.got.filter((n) => n >= 100)).to.deep.equal([]);
    expect(sorted([...back.got, ...b.got.filter((n) => n < 100)])).to.deep.equal(range(0, 40));
  });

  it('a PINGRESP comes after the PUBLISHes its PUBACKs released: one with none before it ends the queue', async () => {
    const a = await member('a');
    const b = await member('b');
    await a.client.subscribeAsync(filter, { qos: 1 });
    await b.client.subscribeAsync(filter, { qos: 1 });
    await away(a);
    await publish(0, 200);
    await eventually('b has its share', async () => (b.got.length >= 100 ? true : undefined));
    await sleep(200);
    const queued = 200 - b.got.length;
    const back = await member('a', { receiveMaximum: 5, ack: false });
    await back.client.unsubscribeAsync(filter);
    await sleep(100);
    // Rounds: write the PUBACKs of what came, then a PINGREQ, and wait for its PINGRESP.
    const rounds: { acked: number; before: number }[] = [];
    for (let round = 0; round < 200; round++) {
      const ids = back.unacked.splice(0);
      for (const id of ids) back.client.stream.write(puback(id));
      const from = back.events.length;
      back.client.stream.write(PINGREQ);
      await eventually('PINGRESP', async () =>
        back.events.indexOf('PINGRESP', from) >= 0 ? true : undefined,
      );
      const before = back.events.indexOf('PINGRESP', from) - from;
      rounds.push({ acked: ids.length, before });
      if (before === 0 && back.unacked.length === 0) break;
    }
    // Nothing comes after the quiet round.
    const atEnd = back.got.length;
    await sleep(500);
    process.stdout.write(
      `      queued ${queued}; rounds (PUBACKs written → PUBLISHes before the PINGRESP): ` +
        `${rounds.map((r) => `${r.acked}→${r.before}`).join(', ')}\n`,
    );
    expect(back.got.length).to.equal(atEnd);
    expect(atEnd).to.equal(queued);
    expect(rounds.at(-1)?.before).to.equal(0);
    // While messages were queued, each round's PUBACKs brought PUBLISHes before the PINGRESP.
    for (const r of rounds.slice(0, -1)) if (r.acked > 0) expect(r.before).to.be.above(0);
  });
});
