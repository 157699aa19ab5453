import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { EmbeddedBroker } from '../../lib/broker/embedded.js';
import type { MainMqttSettings } from '../../lib/config/settings.js';
import type { Log } from '../../lib/core/log.js';

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

function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = [];
  const log: Log & { lines: string[] } = {
    lines,
    error: (message: string) => lines.push(`error ${message}`),
    warning: (message: string) => lines.push(`warning ${message}`),
    notice: (message: string) => lines.push(`notice ${message}`),
    info: (message: string) => lines.push(`info ${message}`),
    debug: () => undefined,
    isDebug: () => false,
    child: () => log,
  };
  return log;
}

describe('EmbeddedBroker: sessions belong to their user, wrong passwords are slowed', function () {
  this.timeout(60_000);
  let dataDir: string;
  let passwordFile: string;
  let log: Log & { lines: string[] };
  const brokers: EmbeddedBroker[] = [];
  const clients: MqttClient[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'daqd-owners-'));
    passwordFile = join(dataDir, 'passwd');
    await writeFile(passwordFile, 'alice:alice-secret\nbob:bob-secret\n');
    log = recordingLog();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
    for (const broker of brokers.splice(0)) await broker.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function startBroker(): Promise<number> {
    const broker = new EmbeddedBroker({
      settings: settings({ password_file: passwordFile }),
      dataDir,
      log,
      loginThrottle: { baseDelayMs: 100, maxDelayMs: 1600 },
    });
    brokers.push(broker);
    await broker.start();
    return broker.address()!.port;
  }

  async function connect(port: number, options: IClientOptions): Promise<MqttClient> {
    const client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 20_000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  async function refused(port: number, options: IClientOptions): Promise<Error & { code?: number }> {
    try {
      await connect(port, options);
    } catch (err) {
      return err as Error & { code?: number };
    }
    return expect.fail(`CONNECT ${JSON.stringify({ ...options, password: undefined })} was admitted`);
  }

  const alice = { username: 'alice', password: 'alice-secret' };
  const bob = { username: 'bob', password: 'bob-secret' };

  it("refuses another user's CONNECT with a client id that holds a persistent session, also after a restart", async () => {
    let port = await startBroker();
    const first = await connect(port, { ...alice, clientId: 'node-7', clean: false });
    await first.subscribeAsync('hiverize/alice/#', { qos: 1 });
    await first.endAsync();
    clients.splice(clients.indexOf(first), 1);

    // Queued for alice's absent session.
    const publisher = await connect(port, { ...alice, clientId: 'alice-pub' });
    await publisher.publishAsync('hiverize/alice/x', 'queued', { qos: 1 });

    for (const clean of [false, true]) {
      const err = await refused(port, { ...bob, clientId: 'node-7', clean });
      expect(err.message, `clean=${clean}`).to.match(/not authorized/i);
      expect(err.code).to.equal(5);
    }

    // Across a restart of the broker the id is still alice's.
    await brokers.pop()!.stop();
    for (const c of clients.splice(0)) await c.endAsync(true);
    port = await startBroker();
    const err = await refused(port, { ...bob, clientId: 'node-7', clean: false });
    expect(err.code).to.equal(5);

    // Alice gets her session back, with what was queued for it: bob's attempts wiped nothing.
    const messages: string[] = [];
    const back = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      ...alice,
      clientId: 'node-7',
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 0,
      manualConnect: false,
    });
    clients.push(back);
    back.on('message', (_topic, payload) => messages.push(payload.toString()));
    for (let waited = 0; messages.length === 0 && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(messages).to.deep.equal(['queued']);
    expect(log.lines.join('\n')).to.match(
      /refused client 'node-7' \(user 'bob'\) from .*another user's persistent session/,
    );
  });

  it('does not let another user disconnect a live client by reusing its id; the same user may', async () => {
    const port = await startBroker();
    const live = await connect(port, { ...alice, clientId: 'gateway-1' });
    let closed = 0;
    live.on('close', () => closed++);

    const err = await refused(port, { ...bob, clientId: 'gateway-1' });
    expect(err.code).to.equal(5);
    await new Promise((r) => setTimeout(r, 300));
    expect(closed, 'the live client was disconnected').to.equal(0);
    expect(live.connected).to.equal(true);
    await live.publishAsync('hiverize/alice/y', 'still here', { qos: 1 });

    // Alice herself taking over her own id is MQTT's ordinary session takeover.
    const again = await connect(port, { ...alice, clientId: 'gateway-1' });
    expect(again.connected).to.equal(true);
    for (let waited = 0; closed === 0 && waited < 5000; waited += 20) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(closed).to.be.greaterThan(0);
  });

  it('slows wrong passwords from one address exponentially, logs them summarised and never the password', async () => {
    const port = await startBroker();
    const took: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = Date.now();
      const err = await refused(port, { username: 'alice', password: `guess-${i}`, clientId: `c-${i}` });
      took.push(Date.now() - started);
      expect(err.code).to.equal(5);
    }
    // Waits of 0, 100, 200, 400, 800 ms (a loaded machine only adds to them).
    expect(took[4]!, took.join(', ')).to.be.at.least(750);
    expect(took[3]!, took.join(', ')).to.be.at.least(350);

    // Guessing on several connections at once buys nothing: they queue behind each other.
    const started = Date.now();
    const parallel = await Promise.all(
      [0, 1, 2].map((i) => refused(port, { username: 'alice', password: `pw-${i}`, clientId: `q-${i}` })),
    );
    expect(parallel.every((err) => err.code === 5)).to.equal(true);
    // 1600 ms (the maximum) each, one after the other.
    expect(Date.now() - started).to.be.at.least(3 * 1600 - 100);

    // The right password still gets in (after its turn), and ends the slowdown.
    const ok = await connect(port, { ...alice, clientId: 'alice-ok' });
    expect(ok.connected).to.equal(true);
    const quick = Date.now();
    await connect(port, { ...alice, clientId: 'alice-ok-2' });
    expect(Date.now() - quick).to.be.below(1000);

    const refusals = log.lines.filter((line) => /refused client/.test(line));
    expect(refusals, 'one line, the repeats are counted').to.have.length(1);
    expect(log.lines.join('\n')).not.to.match(/guess-|pw-\d|alice-secret/);
  });
});
