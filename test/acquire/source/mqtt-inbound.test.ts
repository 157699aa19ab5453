import { expect } from 'chai';
import mqtt from 'mqtt';
import { MqttSource } from '../../../lib/acquire/source/mqtt.js';
import type { InboundMessage } from '../../../lib/acquire/source/source.js';
import type { MqttSettings } from '../../../lib/config/settings.js';
import { StorageError } from '../../../lib/core/errors.js';
import type { Log } from '../../../lib/core/log.js';
import { eventually } from '../../support/eventually.js';
import { type MosquittoProcess, startMosquitto } from '../../support/mosquitto.js';

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
