import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import mqtt from 'mqtt';
import { DaemonProcess, freePort } from '../../support/daqd.js';
import { eventually } from '../../support/eventually.js';
import { type MosquittoProcess, startMosquitto } from '../../support/mosquitto.js';

const TOPIC = 'hiverize/testdrive/area-42/node-1/data.json';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * daqd with Mosquitto (not the embedded broker) and the realm `hiverize`, its storage and HTTP export
 * in `dir`.
 */
async function writeConfig(
  dir: string,
  broker: MosquittoProcess,
  mqttLines: string,
): Promise<{
  config: string;
  api: string;
}> {
  await mkdir(path.join(dir, 'apps'), { recursive: true });
  await writeFile(
    path.join(dir, 'apps', 'hiverize.ini'),
    '[hiverize]\ntype = application\nrealm = hiverize\nmqtt_topics = hiverize/#\n' +
      'application = mqttkit\nhttp_api = true\n',
  );
  const httpPort = await freePort();
  const config = path.join(dir, 'daqd.ini');
  await writeFile(
    config,
    `[main]\ninclude = apps/*.ini\n[daqd]\ndata_dir = var\nmetrics_logger_interval = 0\n` +
      `[http]\nport = ${httpPort}\n[mqtt]\nembedded = false\nhost = 127.0.0.1\nport = ${broker.port}\n` +
      `${mqttLines}[storage]\nbackend = sqlite\n`,
  );
  return { config, api: `http://127.0.0.1:${httpPort}/api/hiverize/testdrive/area-42/node-1` };
}

/** The `value` of every stored reading of node-1, in time order (none: an empty list). */
async function storedValues(api: string): Promise<number[]> {
  const response = await fetch(`${api}/data.json?from=now-1h`);
  if (response.status === 404) return [];
  expect(response.status, await response.clone().text()).to.equal(200);
  return ((await response.json()) as { value: number }[]).map((row) => row.value);
}

describe('MQTT source sessions, through a daqd process with Mosquitto', function () {
  this.timeout(60_000);
  let dir: string;
  let broker: MosquittoProcess | undefined;
  let daemon: DaemonProcess | undefined;
  let publisher: mqtt.MqttClient | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-mqtt-session-'));
  });
  afterEach(async () => {
    await publisher?.endAsync(true);
    publisher = undefined;
    await daemon?.stop();
    daemon = undefined;
    await broker?.stop();
    broker = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts daqd and waits until its realm is connected and subscribed. */
  async function startDaqd(config: string): Promise<DaemonProcess> {
    daemon = new DaemonProcess(config);
    await daemon.waitFor(/ready: 1 realm/, 15_000);
    await daemon.waitFor(/mqtt: connected to broker/);
    return daemon;
  }

  it('MQTT 3.1.1: a retained reading is stored once, not again on every restart of daqd', async () => {
    broker = await startMosquitto();
    const { config, api } = await writeConfig(dir, broker, 'protocol_version = 4\n');
    publisher = await mqtt.connectAsync(broker.url, { clientId: 'node-1', protocolVersion: 4 });

    await startDaqd(config);
    await publisher.publishAsync(TOPIC, '{"value": 1}', { qos: 1, retain: true });
    await eventually('reading 1 stored', async () =>
      (await storedValues(api)).length >= 1 ? true : undefined,
    );

    // Published while daqd is down: the session queues it, and it is the retained message now.
    expect(await daemon!.stop()).to.equal(0);
    await publisher.publishAsync(TOPIC, '{"value": 2}', { qos: 1, retain: true });
    let running = await startDaqd(config);
    expect(running.output).to.match(/\(MQTT 3\.1\.1, session resumed\)/);
    await eventually('reading 2 stored', async () =>
      (await storedValues(api)).length >= 2 ? true : undefined,
    );
    // The retained message the broker sends again on subscribing comes before any message published
    // after daqd subscribed (one topic, in order), and daqd stores one database's readings in order:
    // once a marker published now is stored, that message would be stored too, were it taken.
    await publisher.publishAsync(TOPIC, '{"value": 3}', { qos: 1 });
    await eventually('marker 3 stored', async () =>
      (await storedValues(api)).includes(3) ? true : undefined,
    );
    expect(await running.stop()).to.equal(0);

    running = await startDaqd(config);
    await publisher.publishAsync(TOPIC, '{"value": 4}', { qos: 1 });
    await eventually('marker 4 stored', async () =>
      (await storedValues(api)).includes(4) ? true : undefined,
    );
    expect(await storedValues(api)).to.deep.equal([1, 2, 3, 4]);
    expect(running.output).to.match(
      /passing over the retained messages broker [^\n]* sends again on subscribing/,
    );
  });

  it('says at warning level, once, when the broker did not resume its session after a reconnect', async () => {
    broker = await startMosquitto({ config: ['persistence false'] });
    const { config } = await writeConfig(dir, broker, '');
    const running = await startDaqd(config);
    const mark = running.output.length;
    // Mosquitto without persistence forgets every session when it restarts.
    await broker.restart();
    const line = await running.waitFor(/[^\n]*mqtt: connected to broker[^\n]*/, 20_000, mark);
    expect(line).to.match(
      / warning \[daqd:realm:hiverize:mqtt\] mqtt: connected to broker [^\n]*\(MQTT 5, new session\): the broker did not resume daqd's session; readings published while daqd was disconnected may be lost/,
    );
    // A fixed wait, not a marker: a second warning would come from another connect, which no message
    // published through the broker is ordered with.
    await sleep(500);
    expect(running.output.slice(mark).match(/did not resume daqd's session/g)).to.have.length(1);
  });

  it('says nothing of the kind when the broker resumed the session', async () => {
    broker = await startMosquitto();
    const { config } = await writeConfig(dir, broker, '');
    const running = await startDaqd(config);
    const mark = running.output.length;
    await broker.restart();
    const line = await running.waitFor(/[^\n]*mqtt: connected to broker[^\n]*/, 20_000, mark);
    expect(line).to.match(/ notice \[daqd:realm:hiverize:mqtt\] [^\n]*\(MQTT 5, session resumed\)$/);
    expect(running.output).not.to.match(/did not resume/);
  });
});
