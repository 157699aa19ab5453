import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * In a fresh node process (mqtt-packet's cache is process-wide, and other tests write MQTT packets
 * too): daqd runs on its zero-setup default, the embedded broker, and a device subscribes and
 * publishes at QoS 1, so the broker writes CONNACK, SUBACK, PUBACK and PUBLISH packets (with packet
 * ids) through mqtt-packet. Prints how many packet-id Buffers mqtt-packet has cached.
 */
const SCRIPT = `
import { writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { main } from './lib/cli/main.ts';
import { freePort } from './test/support/free-port.ts';
const dir = process.env.CACHE_TEST_DIR;
const [httpPort, mqttPort] = [await freePort(), await freePort()];
const ini = join(dir, 'daqd.ini');
await writeFile(ini, [
  '[daqd]', 'data_dir = ' + join(dir, 'var'), 'log_level = warning',
  '[http]', 'listen = 127.0.0.1', 'port = ' + httpPort,
  '[mqtt]', 'embedded = true', 'host = 127.0.0.1', 'port = ' + mqttPort,
  '[storage]', 'backend = sqlite', '',
].join('\\n'));
void main(['run', '--config', ini]);
const numbers = createRequire(import.meta.url)('mqtt-packet/numbers.js');
// Up once its broker takes connections: probed with a bare socket, so that this process writes no
// MQTT packet before daqd has started.
for (let tries = 0; ; tries++) {
  const up = await new Promise((resolve) => {
    const socket = connect(mqttPort, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
    socket.unref();
  });
  if (up) break;
  if (tries > 200) throw new Error('daqd did not start its broker');
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const device = await mqtt.connectAsync('mqtt://127.0.0.1:' + mqttPort, { reconnectPeriod: 0 });
const received = new Promise((resolve) => device.once('message', resolve));
await device.subscribeAsync('cache/test', { qos: 1 });
await device.publishAsync('cache/test', 'x', { qos: 1 });
await received;
console.log(JSON.stringify({ cached: Object.keys(numbers.cache).length }));
// The answer is in; how daqd stops is other tests' business.
process.exit(0);
`;

function runScript(dir: string): Promise<{ cached: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: ROOT, timeout: 30_000, env: { ...process.env, CACHE_TEST_DIR: dir } },
      (err, stdout, stderr) => {
        const line = stdout
          .trim()
          .split('\n')
          .find((l) => l.startsWith('{"cached"'));
        if (line === undefined) reject(new Error(`no answer (${err?.message ?? 'exit 0'})\n${stderr}`));
        else resolve(JSON.parse(line));
      },
    );
  });
}

describe('MQTT packet-id cache', function () {
  this.timeout(40_000);

  it('stays unbuilt in daqd: no 65,536 Buffers (~6 MB of heap) for the packets its broker writes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'daqd-packet-id-cache-'));
    try {
      const { cached } = await runScript(dir);
      expect(cached).to.equal(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
