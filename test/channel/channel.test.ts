import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import type { MessageHandler, SettledMessageHandler, Source } from '../../lib/acquire/source/source.js';
import { Channel } from '../../lib/channel/channel.js';
import { ChannelStats } from '../../lib/channel/channel-stats.js';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { StorageError } from '../../lib/core/errors.js';
import { silentLog } from '../../lib/core/log.js';
import { heldWrite, ScriptedSink } from '../support/scripted-sink.js';

describe('channel', () => {
  it('summarises counts and the rate since the last summary', () => {
    const stats = new ChannelStats();
    const start = Date.now();
    stats.received = 120;
    stats.stored = 118;
    stats.failed = 2;
    expect(stats.summarize(start + 60_000)).to.match(
      /^received 120, stored 118, failed 2 in 60 s \(2\.0\/s\)$/,
    );
    stats.received = 130;
    stats.stored = 128;
    expect(stats.summarize(start + 70_000)).to.equal('received 10, stored 10, failed 0 in 10 s (1.0/s)');
    stats.errorReports.heldBack = 40;
    expect(stats.summarize(start + 80_000)).to.equal(
      'received 0, stored 0, failed 0 in 10 s (0.0/s); 40 error report(s) held back',
    );
  });
});

/** A realm app as daqd reads it from an INI file (basic strategy: `<realm>/<node>/data.json`). */
function basicApp(realm: string): RealmApp {
  const main = readMainSettings(parseIni('', '/etc/daqd/daqd.ini').ini, {}).settings;
  const text = `[${realm}]\ntype = application\nrealm = ${realm}\napplication = basic\n`;
  const { apps, problems } = readRealmApps([parseIni(text, `/apps/${realm}.ini`).ini], main);
  expect(problems.map((p) => p.format())).to.deep.equal([]);
  return apps[0] as RealmApp;
}

/**
 * The channel's source as the test drives it: `deliver` hands a message to the channel's handler
 * (what an MQTT source does for each PUBLISH), and what the channel publishes (its error reports) is
 * kept.
 */
class HandSource implements Source {
  readonly origin = 'test';
  connected = false;
  published: { topic: string; payload: string; qos: 0 | 1 }[] = [];
  /** Hands messages to `settled` (as an MQTT connection does) when given, else to `onMessage`. */
  constructor(
    private readonly onMessage: MessageHandler,
    private readonly settled?: SettledMessageHandler,
  ) {}
  async start() {
    this.connected = true;
  }
  async stop() {
    this.connected = false;
  }
  async publish(topic: string, payload: string, options: { qos: 0 | 1 }) {
    this.published.push({ topic, payload, qos: options.qos });
  }
  deliver(topic: string, payload: string): Promise<void> {
    const message = { topic, payload: Buffer.from(payload), receivedAt: 1_700_000_000_000_000_000n };
    const settled = this.settled;
    if (settled === undefined) return this.onMessage(message);
    return new Promise((resolve, reject) => settled(message, { done: resolve, failed: reject }));
  }
}

for (const via of ['onMessage', 'onMessageSettled'] as const)
  describe(`channel/channel: one message (through ${via})`, () => {
    let dir: string;
    let sink: ScriptedSink;
    let batcher: WriteBatcher;
    let source: HandSource;
    let channel: Channel;

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'daqd-channel-'));
      sink = new ScriptedSink();
      batcher = new WriteBatcher({
        sink,
        limits: { batch_size: 100, flush_interval: 10, flush_idle: 2 },
        log: silentLog(),
        deadLetter: new DeadLetterStore({ dataDir: dir }),
      });
      channel = new Channel({
        app: basicApp('lab'),
        openSources: ({ onMessage, onMessageSettled }) => {
          expect(onMessageSettled, 'the channel offers the handler without a promise').to.be.a('function');
          source = new HandSource(onMessage, via === 'onMessage' ? undefined : onMessageSettled);
          return [source];
        },
        timezone: 'UTC',
        batcher,
        log: silentLog(),
      });
      await channel.start();
    });
    afterEach(async () => {
      await channel.stop();
      await batcher.stop(1000);
      await rm(dir, { recursive: true, force: true });
    });

    function counts() {
      const { received, stored, failed, ignored } = channel.stats;
      return { received, stored, failed, ignored };
    }

    it('settles a reading only once the store has taken it', async () => {
      sink.holding = true;
      let settled = false;
      const handled = source.deliver('lab/node-1/data.json', '{"v": 7}').then(() => {
        settled = true;
      });
      const release = await heldWrite(sink);
      await new Promise((r) => setImmediate(r));
      expect(settled, 'settled (and so acknowledged) before it was stored').to.equal(false);
      release();
      await handled;
      expect(sink.writes).to.deep.equal([{ database: 'lab_node_1', values: [7] }]);
      expect(counts()).to.deep.equal({ received: 1, stored: 1, failed: 0, ignored: 0 });
      expect(source.published).to.deep.equal([]);
    });

    it('counts a payload that does not decode as failed, answers it on the error topic and settles it', async () => {
      await source.deliver('lab/node-1/data.json', '{"v": ');
      expect(counts()).to.deep.equal({ received: 1, stored: 0, failed: 1, ignored: 0 });
      expect(sink.writes).to.deep.equal([]);
      expect(source.published.map((p) => [p.topic, p.qos])).to.deep.equal([['lab/node-1/error.json', 0]]);
      expect(JSON.parse(source.published[0]?.payload ?? '{}')).to.include({ type: 'DecodeError' });
    });

    it('counts a reading the store rejects for good as failed and answers it, and still settles it', async () => {
      sink.poison.add(13);
      await source.deliver('lab/node-1/data.json', '{"v": 13}');
      expect(counts()).to.deep.equal({ received: 1, stored: 0, failed: 1, ignored: 0 });
      expect(source.published.map((p) => p.topic)).to.deep.equal(['lab/node-1/error.json']);
    });

    it('never handles nor answers a message on an error topic, its own report coming back included', async () => {
      await source.deliver('lab/node-1/error.json', '{"v": 1}');
      expect(counts()).to.deep.equal({ received: 0, stored: 0, failed: 0, ignored: 1 });
      expect(sink.attempts).to.deep.equal([]);
      expect(source.published).to.deep.equal([]);
    });

    it('rejects when the store failed retryably (daqd stopping), so the message stays unacknowledged', async () => {
      await batcher.stop(0);
      const outcome = await source.deliver('lab/node-1/data.json', '{"v": 1}').then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(outcome).to.be.instanceOf(StorageError);
      expect((outcome as StorageError).retryable).to.equal(true);
      // Neither failed nor answered: the broker delivers it again.
      expect(counts()).to.deep.equal({ received: 1, stored: 0, failed: 0, ignored: 0 });
      expect(source.published).to.deep.equal([]);
    });
  });
