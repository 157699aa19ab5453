import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import type { SourceHandlers } from '../../lib/acquire/source/registry.js';
import type { MessageHandler, Publisher, Source } from '../../lib/acquire/source/source.js';
import { Channel } from '../../lib/channel/channel.js';
import { parseIni } from '../../lib/config/ini-file.js';
import { readMainSettings } from '../../lib/config/main-settings.js';
import { readRealmApps } from '../../lib/config/realm-apps.js';
import type { RealmApp } from '../../lib/config/settings.js';
import { silentLog } from '../../lib/core/log.js';
import { ScriptedSink } from '../support/scripted-sink.js';

function basicApp(realm: string): RealmApp {
  const main = readMainSettings(parseIni('', '/etc/daqd/daqd.ini').ini, {}).settings;
  const text = `[${realm}]\ntype = application\nrealm = ${realm}\napplication = basic\n`;
  const { apps, problems } = readRealmApps([parseIni(text, `/apps/${realm}.ini`).ini], main);
  expect(problems.map((p) => p.format())).to.deep.equal([]);
  return apps[0] as RealmApp;
}

/** A source that cannot publish; notes its start and stop in `events`. */
class QuietSource implements Source {
  connected = false;
  constructor(
    readonly origin: string,
    private readonly events: string[],
    protected readonly onMessage: MessageHandler,
  ) {}
  async start() {
    this.events.push(`start ${this.origin}`);
    this.connected = true;
  }
  async stop() {
    this.events.push(`stop ${this.origin}`);
    this.connected = false;
  }
  deliver(topic: string, payload: string): Promise<void> {
    return this.onMessage({ topic, payload: Buffer.from(payload), receivedAt: 1_700_000_000_000_000_000n });
  }
}

/** A source that can publish (as a broker connection can); keeps what it published. */
class PublishingSource extends QuietSource implements Publisher {
  readonly published: string[] = [];
  async publish(topic: string) {
    this.published.push(topic);
  }
}

describe('channel/channel: several sources', () => {
  let dir: string;
  let batcher: WriteBatcher;
  let channel: Channel | undefined;
  let events: string[];

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-channel-sources-'));
    batcher = new WriteBatcher({
      sink: new ScriptedSink(),
      limits: { batch_size: 100, flush_interval: 10, flush_idle: 2 },
      log: silentLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
    });
    events = [];
  });
  afterEach(async () => {
    await channel?.stop();
    await batcher.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  function open(make: (handlers: SourceHandlers) => Source[]): Channel {
    channel = new Channel({
      app: basicApp('lab'),
      openSources: make,
      timezone: 'UTC',
      batcher,
      log: silentLog(),
    });
    return channel;
  }

  it('starts its sources in order and stops them in reverse; connected only while all are', async () => {
    let first: QuietSource | undefined;
    const c = open(({ onMessage }) => {
      first = new QuietSource('a', events, onMessage);
      return [first, new PublishingSource('b', events, onMessage)];
    });
    expect(c.connected).to.equal(false);
    await c.start();
    expect(c.connected).to.equal(true);
    first!.connected = false;
    expect(c.connected).to.equal(false);
    await c.stop();
    await c.stop();
    expect(events).to.deep.equal(['start a', 'start b', 'stop b', 'stop a']);
  });

  it('answers a bad message through the source that can publish, whichever source brought it', async () => {
    let quiet: QuietSource | undefined;
    let publishing: PublishingSource | undefined;
    const c = open(({ onMessage }) => {
      quiet = new QuietSource('quiet', events, onMessage);
      publishing = new PublishingSource('broker', events, onMessage);
      return [quiet, publishing];
    });
    await c.start();
    await quiet!.deliver('lab/node-1/data.json', '{"v": ');
    expect(publishing!.published).to.deep.equal(['lab/node-1/error.json']);
    expect(c.stats.failed).to.equal(1);
  });

  it('without a source that can publish, a bad message is still counted and settled', async () => {
    let quiet: QuietSource | undefined;
    const c = open(({ onMessage }) => {
      quiet = new QuietSource('quiet', events, onMessage);
      return [quiet];
    });
    await c.start();
    await quiet!.deliver('lab/node-1/data.json', 'not json');
    expect(c.stats.failed).to.equal(1);
    expect(c.stats.errorReports.published).to.equal(1);
  });
});
