import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { WriteBatcher } from '../../lib/acquire/deliver/batcher.js';
import { DeadLetterStore } from '../../lib/acquire/deliver/dead-letter.js';
import type { Source } from '../../lib/acquire/source/source.js';
import { Channel } from '../../lib/channel/channel.js';
import { ChannelSupervisor } from '../../lib/channel/supervisor.js';
import { type LoadedApps, loadMainSettings, loadRealmApps } from '../../lib/config/load.js';
import type { RealmApp } from '../../lib/config/settings.js';
import type { Log } from '../../lib/core/log.js';
import { ScriptedSink } from '../support/scripted-sink.js';

/** A Log that keeps its lines above debug level. */
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

/**
 * A channel's source that only notes when it starts and stops (`start lab#1`: the first channel of
 * realm 'lab'), so the test sees which channels the supervisor started and stopped. A realm in
 * `failing` fails to start, as a source whose broker refuses it would.
 */
class NotingSource implements Source {
  readonly origin = 'test';
  connected = false;
  constructor(
    private readonly name: string,
    private readonly events: string[],
    private readonly failing: Set<string>,
    private readonly realm: string,
    /** Stopping waits for this, when set (a channel that takes its time to drain). */
    private readonly stopGate: () => Promise<void> | undefined,
  ) {}
  async start() {
    if (this.failing.has(this.realm)) throw new Error('connection refused');
    this.connected = true;
    this.events.push(`start ${this.name}`);
  }
  async stop() {
    if (!this.connected) return;
    await this.stopGate();
    this.connected = false;
    this.events.push(`stop ${this.name}`);
  }
  async publish() {}
}

function app(realm: string, extra = ''): string {
  return `[${realm}]\ntype = application\nrealm = ${realm}\napplication = basic\n${extra}`;
}

describe('channel/supervisor: reload diff', () => {
  let dir: string;
  let apps: string;
  let batcher: WriteBatcher;
  let supervisor: ChannelSupervisor;
  let log: Log & { lines: string[] };
  let events: string[];
  let removed: string[];
  let failing: Set<string>;
  let stopGate: Promise<void> | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'daqd-supervisor-'));
    apps = path.join(dir, 'apps');
    await mkdir(apps);
    await writeFile(path.join(dir, 'daqd.ini'), '[main]\ninclude = apps/*.ini\n');
    batcher = new WriteBatcher({
      sink: new ScriptedSink(),
      limits: { batch_size: 100, flush_interval: 10 },
      log: recordingLog(),
      deadLetter: new DeadLetterStore({ dataDir: dir }),
    });
    log = recordingLog();
    events = [];
    removed = [];
    failing = new Set();
    stopGate = undefined;
    const made = new Map<string, number>();
    supervisor = new ChannelSupervisor({
      makeChannel: (realmApp: RealmApp) => {
        const n = (made.get(realmApp.realm) ?? 0) + 1;
        made.set(realmApp.realm, n);
        return new Channel({
          app: realmApp,
          openSources: () => [
            new NotingSource(`${realmApp.realm}#${n}`, events, failing, realmApp.realm, () => stopGate),
          ],
          timezone: 'UTC',
          batcher,
          log: recordingLog(),
        });
      },
      onRemoved: (realm) => removed.push(realm),
      log,
    });
  });
  afterEach(async () => {
    await supervisor.stop();
    await batcher.stop(1000);
    await rm(dir, { recursive: true, force: true });
  });

  async function write(files: Record<string, string>): Promise<void> {
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(apps, `${name}.ini`), text);
  }

  /** Loads the app files as daqd does at start and on every reload, and hands them to the supervisor. */
  async function reload(): Promise<LoadedApps> {
    const { settings } = await loadMainSettings(path.join(dir, 'daqd.ini'), {});
    const loaded = await loadRealmApps(settings);
    await supervisor.apply(loaded);
    return loaded;
  }

  function running(): Record<string, Channel | undefined> {
    return Object.fromEntries(supervisor.channels().map((c) => [c.app.realm, c]));
  }

  it('starts one channel per realm at the first load', async () => {
    await write({ a: app('a'), b: app('b') });
    await reload();
    expect(events.sort()).to.deep.equal(['start a#1', 'start b#1']);
    expect(Object.keys(running()).sort()).to.deep.equal(['a', 'b']);
  });

  it('starts new realms, stops removed ones and restarts only the changed ones', async () => {
    await write({ a: app('a'), b: app('b'), c: app('c') });
    await reload();
    const before = running();
    events.length = 0;

    // a: only moved within its file (a comment above it); b: changed; c: removed; d: new.
    await write({
      a: `# moved down\n\n${app('a')}`,
      b: app('b', 'hide_inactive_after_days = 7\n'),
      d: app('d'),
    });
    await unlink(path.join(apps, 'c.ini'));
    await reload();

    expect(events).to.deep.equal(['stop b#1', 'start b#2', 'stop c#1', 'start d#1']);
    expect(removed).to.deep.equal(['c']);
    const after = running();
    expect(Object.keys(after).sort()).to.deep.equal(['a', 'b', 'd']);
    expect(after['a'], 'the unchanged realm keeps its channel').to.equal(before['a']);
    expect(after['b']).not.to.equal(before['b']);
    expect(after['b']?.app.hide_inactive_after_days).to.equal(7);
    expect(log.lines).to.include.members([
      "notice realm 'b': app changed; restarting its channel",
      "notice realm 'c': app removed; stopping its channel",
    ]);

    // Nothing changed: nothing restarts.
    events.length = 0;
    await reload();
    expect(events).to.deep.equal([]);
  });

  it('keeps the last good channel of a realm whose app is invalid now, or whose file is broken', async () => {
    await write({ a: app('a'), b: app('b') });
    await reload();
    const before = running();
    events.length = 0;

    await write({ a: app('a', 'hide_inactive_after_days = -1\n'), b: app('b').replace('[b]', '[b') });
    const loaded = await reload();
    expect(loaded.invalidRealms).to.include('a');
    // b's section header is broken: no app of b is read at all, only its file is known broken.
    expect(loaded.brokenFiles).to.include(path.join(apps, 'b.ini'));
    expect(loaded.invalidRealms).not.to.include('b');
    expect(events).to.deep.equal([]);
    expect(removed).to.deep.equal([]);
    expect(running()).to.deep.equal(before);
    expect(log.lines).to.include.members([
      "warning realm 'a': its app is invalid now; the last good configuration keeps running",
      "warning realm 'b': its app is invalid now; the last good configuration keeps running",
    ]);

    // Repaired: a is as it was (nothing to restart), b changed meanwhile and restarts.
    await write({ a: app('a'), b: app('b', 'hide_inactive_after_days = 3\n') });
    await reload();
    expect(events).to.deep.equal(['stop b#1', 'start b#2']);
    expect(running()['a']).to.equal(before['a']);
  });

  it('logs a channel that fails to start, runs the others, and starts it at the next load', async () => {
    failing.add('b');
    await write({ a: app('a'), b: app('b') });
    await reload();
    expect(Object.keys(running())).to.deep.equal(['a']);
    expect(log.lines).to.include("error realm 'b': channel failed to start: connection refused");

    failing.clear();
    events.length = 0;
    await reload();
    expect(events).to.deep.equal(['start b#2']);
    expect(Object.keys(running()).sort()).to.deep.equal(['a', 'b']);
  });

  it('applies loads one at a time, in order', async () => {
    await write({ a: app('a') });
    const { settings } = await loadMainSettings(path.join(dir, 'daqd.ini'), {});
    const first = await loadRealmApps(settings);
    await write({ a: app('a', 'hide_inactive_after_days = 1\n') });
    const second = await loadRealmApps(settings);
    await Promise.all([supervisor.apply(first), supervisor.apply(second)]);
    expect(events).to.deep.equal(['start a#1', 'stop a#1', 'start a#2']);
    expect(running()['a']?.app.hide_inactive_after_days).to.equal(1);
  });

  it('says a realm is restarting until its new channel is up, then hands that channel over', async () => {
    await write({ a: app('a') });
    await reload();
    expect(supervisor.restarting('a')).to.equal(undefined);
    // The old channel takes its time to drain.
    let drained: () => void = () => {};
    stopGate = new Promise<void>((resolve) => {
      drained = resolve;
    });
    await write({ a: app('a', 'hide_inactive_after_days = 2\n') });
    const { settings } = await loadMainSettings(path.join(dir, 'daqd.ini'), {});
    const applied = supervisor.apply(await loadRealmApps(settings));
    const deadline = Date.now() + 5000;
    while (supervisor.restarting('a') === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const back = supervisor.restarting('a');
    expect(back, 'realm a restarting').not.to.equal(undefined);
    expect(supervisor.channel('a')).to.equal(undefined);
    expect(supervisor.restartingRealms().map((r) => r.realm)).to.deep.equal(['a']);
    stopGate = undefined;
    drained();
    const channel = await back;
    await applied;
    expect(channel).to.not.equal(undefined);
    expect(channel).to.equal(supervisor.channel('a'));
    expect(channel?.app.hide_inactive_after_days).to.equal(2);
    expect(supervisor.restarting('a')).to.equal(undefined);
    expect(events).to.deep.equal(['start a#1', 'stop a#1', 'start a#2']);
  });

  it('stops every channel at stop, and applies no load after it', async () => {
    await write({ a: app('a'), b: app('b') });
    await reload();
    events.length = 0;
    await supervisor.stop();
    expect(events.sort()).to.deep.equal(['stop a#1', 'stop b#1']);
    await write({ c: app('c') });
    await reload();
    expect(events.sort()).to.deep.equal(['stop a#1', 'stop b#1']);
    expect(supervisor.channels()).to.deep.equal([]);
  });
});
