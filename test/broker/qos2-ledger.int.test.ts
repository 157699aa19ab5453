import { once } from 'node:events';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { SqliteSink } from '../../lib/acquire/sink/sqlite.js';
import { silentLog } from '../../lib/core/log.js';
import { DaemonProcess, freePort } from '../support/daqd.js';
import { eventually } from '../support/eventually.js';

/**
 * A TCP relay between an MQTT client and daqd's broker that can drop what daqd sends back: the
 * client then never sees a PUBREC, as when daqd dies right after storing a reading.
 */
class Relay {
  dropReplies = false;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly target: number) {
    this.server = createServer((client) => {
      const upstream = createConnection({ host: '127.0.0.1', port: this.target });
      this.sockets.add(client).add(upstream);
      client.on('data', (data: Buffer) => upstream.write(data));
      upstream.on('data', (data: Buffer) => {
        if (!this.dropReplies) client.write(data);
      });
      const end = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) {
        socket.on('error', end);
        socket.on('close', end);
      }
    });
  }

  async listen(): Promise<number> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as { port: number }).port;
  }

  /** Cuts every connection (the client reconnects). */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** The `value` field of every row of a measurement in a daemon's SQLite store. */
async function storedValues(dataDir: string, database: string, measurement: string): Promise<number[]> {
  const sink = new SqliteSink({ dataDir, log: silentLog() });
  await sink.start();
  try {
    const result = await sink.query({ database, measurement, from: 0n, to: 2n ** 62n });
    const column = result.columns.indexOf('value');
    const values: number[] = [];
    for await (const row of result.rows) values.push(row[column + 1] as number);
    return values;
  } finally {
    await sink.stop();
  }
}

describe('daqd with its embedded broker: QoS 2 across SIGKILL', function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: DaemonProcess | undefined;
  let relay: Relay | undefined;
  let node: MqttClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'daqd-qos2-kill-'));
  });
  afterEach(async () => {
    await node?.endAsync(true);
    node = undefined;
    await relay?.close();
    relay = undefined;
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** daqd with realm 'omega' and its embedded broker, started; the main file's path and data dir. */
  async function startDaqd(): Promise<{ config: string; mqttPort: number; dataDir: string }> {
    await mkdir(join(dir, 'apps-available'));
    await mkdir(join(dir, 'apps-enabled'));
    await writeFile(
      join(dir, 'apps-available', 'omega.ini'),
      '[omega]\ntype = application\nrealm = omega\nmqtt_topics = omega/#\napplication = mqttkit\n',
    );
    await symlink('../apps-available/omega.ini', join(dir, 'apps-enabled', 'omega.ini'));
    const mqttPort = await freePort();
    const config = join(dir, 'daqd.ini');
    await writeFile(
      config,
      `[main]\ninclude = apps-enabled/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
        `shutdown_timeout = 5\n[http]\nport = ${await freePort()}\n[mqtt]\nembedded = true\nport = ${mqttPort}\n` +
        '[storage]\nbackend = sqlite\n',
    );
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: /);
    return { config, mqttPort, dataDir: join(dir, 'var') };
  }

  /** How often each value is stored. */
  function tally(values: number[]): Map<number, number> {
    const counts = new Map<number, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    return counts;
  }

  it('stores every reading exactly once when daqd is killed after storing, before the node got its PUBREC', async () => {
    const { config, mqttPort, dataDir } = await startDaqd();
    const stored = () => storedValues(dataDir, 'omega_net', 'gw_node_sensors');
    relay = new Relay(mqttPort);
    const relayPort = await relay.listen();
    const client = mqttConnect(`mqtt://127.0.0.1:${relayPort}`, {
      protocolVersion: 4,
      clientId: 'qos2-kill-node',
      clean: false,
      reconnectPeriod: 200,
    });
    node = client;
    await new Promise((resolve) => client.once('connect', resolve));

    const rounds = 3;
    const perRound = 20;
    for (let round = 0; round < rounds; round++) {
      if (!client.connected) await new Promise((resolve) => client.once('connect', resolve));
      relay.dropReplies = true;
      const values = Array.from({ length: perRound }, (_, i) => round * 100 + i);
      const acknowledged = Promise.all(
        values.map((value) =>
          client.publishAsync('omega/net/gw/node/data.json', JSON.stringify({ value }), { qos: 2 }),
        ),
      );
      // Stored, but the node heard nothing back: then daqd dies.
      await eventually(`round ${round} stored`, async () => {
        const found = await stored();
        return values.every((v) => found.includes(v)) ? true : undefined;
      });
      // Some of them also past aedes' own record of the message, some perhaps not.
      await new Promise((r) => setTimeout(r, 50 * round));
      daemon?.signal('SIGKILL');
      await daemon?.exit();
      relay.dropReplies = false;
      relay.cut();
      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: /, 20_000);
      // The node sends every one of them again (no DUP flag: MQTT.js 5), and gets its PUBREC now.
      await acknowledged;
    }
    await daemon?.stop();
    const all = await stored();
    const expected = Array.from({ length: rounds }, (_, round) =>
      Array.from({ length: perRound }, (_, i) => round * 100 + i),
    ).flat();
    const counts = tally(all);
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    expect(duplicated, 'readings stored more than once').to.deep.equal([]);
    expect([...counts.keys()].sort((a, b) => a - b)).to.deep.equal(expected);
  });

  it('stores every acknowledged reading exactly once while daqd is killed again and again under load', async () => {
    const { config, mqttPort, dataDir } = await startDaqd();
    const client = mqttConnect(`mqtt://127.0.0.1:${mqttPort}`, {
      protocolVersion: 4,
      clientId: 'qos2-load-node',
      clean: false,
      reconnectPeriod: 200,
    });
    node = client;
    await new Promise((resolve) => client.once('connect', resolve));
    const acknowledged: number[] = [];
    let next = 0;
    let publishing = true;
    // Ten messages in flight at a time, one reading each.
    const publisher = async () => {
      while (publishing) {
        const value = next++;
        await client.publishAsync('omega/net/gw/node/data.json', JSON.stringify({ value }), { qos: 2 });
        acknowledged.push(value);
      }
    };
    const publishers = Array.from({ length: 10 }, publisher);
    for (let kill = 0; kill < 4; kill++) {
      const before = acknowledged.length;
      await eventually('readings acknowledged', async () =>
        acknowledged.length >= before + 50 + Math.floor(Math.random() * 150) ? true : undefined,
      );
      daemon!.signal('SIGKILL');
      await daemon!.exit();
      daemon = new DaemonProcess(config);
      await daemon.waitFor(/ready: /, 20_000);
    }
    publishing = false;
    await Promise.all(publishers);
    await daemon!.stop();
    const counts = tally(await storedValues(dataDir, 'omega_net', 'gw_node_sensors'));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([v]) => v);
    const lost = acknowledged.filter((v) => !counts.has(v));
    expect(acknowledged.length).to.be.greaterThan(200);
    expect(duplicated, 'readings stored more than once').to.deep.equal([]);
    expect(lost, 'acknowledged readings not stored').to.deep.equal([]);
  });
});
