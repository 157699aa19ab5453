import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * In a fresh node process (mqtt-packet's cache is process-wide, and other tests' clients write packets
 * too): an MqttSource connects to an aedes broker of the same process and subscribes, so a SUBSCRIBE
 * and its SUBACK (packets with an id) go through mqtt-packet's writer. Prints how many packet-id
 * Buffers mqtt-packet has cached.
 */
const SCRIPT = `
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { Aedes } from 'aedes';
import { MqttSource } from './lib/acquire/source/mqtt.ts';
const require = createRequire(import.meta.url);
const numbers = require('mqtt-packet/numbers.js');
const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const quiet = () => {};
const log = { error: quiet, warning: quiet, notice: quiet, info: quiet, debug: quiet, isDebug: () => false };
log.child = () => log;
const source = new MqttSource({
  settings: { host: '127.0.0.1', port: server.address().port, protocol: 'mqtt', tls_insecure: false,
    client_id: 'cache-test', protocol_version: 4, receive_maximum: 10, keepalive: 60 },
  clientId: 'cache-test',
  topics: ['cache/#'],
  log,
  onMessage: async () => {},
});
const subscribed = new Promise((resolve) => broker.once('subscribe', resolve));
await source.start();
await subscribed;
// The SUBACK has reached the source (its packet id went through mqtt-packet's writer on both sides).
await new Promise((resolve) => setTimeout(resolve, 100));
console.log(JSON.stringify({ cached: Object.keys(numbers.cache).length }));
await source.stop({ drainTimeout: 100 });
await new Promise((resolve) => broker.close(resolve));
server.close();
`;

function runScript(): Promise<{ cached: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT],
      { cwd: ROOT, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
      },
    );
  });
}

describe('MQTT.js packet-id cache', function () {
  this.timeout(30_000);

  it('stays unbuilt: no 65,536 Buffers (~6 MB of heap) for the packets daqd writes', async () => {
    const { cached } = await runScript();
    expect(cached).to.equal(0);
  });
});
