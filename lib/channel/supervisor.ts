import type { LoadedApps } from '../config/load.js';
import type { RealmApp } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Channel } from './channel.js';

/** What an app is, without where it stands: moving a section in its file changes nothing. */
function fingerprint(app: RealmApp): string {
  return JSON.stringify({
    ...app,
    file: undefined,
    line: undefined,
    forwarders: app.forwarders.map((f) => ({ ...f, file: undefined, line: undefined })),
  });
}

/**
 * Runs one channel per realm and keeps the set in step with the configuration: on every (re)load it
 * starts new realms, stops removed ones and restarts only those whose settings changed. A realm whose
 * app is invalid now keeps its last good channel running. Loads are applied one at a time.
 */
export class ChannelSupervisor {
  private readonly running = new Map<string, { channel: Channel; fingerprint: string }>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly ctx: { makeChannel: (app: RealmApp) => Channel; log: Log }) {}

  /** The running channel of a realm. */
  channel(realm: string): Channel | undefined {
    return this.running.get(realm)?.channel;
  }

  /** Every running channel. */
  channels(): Channel[] {
    return [...this.running.values()].map((r) => r.channel);
  }

  /** Applies a freshly loaded app set (queued behind any load still being applied). */
  apply(loaded: LoadedApps): Promise<void> {
    const next = this.queue.then(() => this.applyNow(loaded));
    this.queue = next.catch(() => {});
    return next;
  }

  private async applyNow(loaded: LoadedApps): Promise<void> {
    if (this.stopped) return;
    const { log } = this.ctx;
    const desired = new Map(loaded.apps.map((app) => [app.realm, app]));
    for (const [realm, entry] of [...this.running]) {
      const app = desired.get(realm);
      if (app === undefined) {
        if (loaded.invalidRealms.has(realm) || loaded.brokenFiles.has(entry.channel.app.file)) {
          log.warning(`realm '${realm}': its app is invalid now; the last good configuration keeps running`);
          continue;
        }
        this.running.delete(realm);
        log.notice(`realm '${realm}': app removed; stopping its channel`);
        await this.stopChannel(entry.channel);
      } else if (fingerprint(app) !== entry.fingerprint) {
        this.running.delete(realm);
        log.notice(`realm '${realm}': app changed; restarting its channel`);
        await this.stopChannel(entry.channel);
        await this.startChannel(app);
      }
    }
    for (const [realm, app] of desired) {
      if (!this.running.has(realm)) await this.startChannel(app);
    }
  }

  private async startChannel(app: RealmApp): Promise<void> {
    const channel = this.ctx.makeChannel(app);
    try {
      await channel.start();
      this.running.set(app.realm, { channel, fingerprint: fingerprint(app) });
    } catch (err) {
      this.ctx.log.error(`realm '${app.realm}': channel failed to start: ${errorMessage(err)}`);
      await channel.stop().catch(() => {});
    }
  }

  private async stopChannel(channel: Channel): Promise<void> {
    try {
      await channel.stop();
    } catch (err) {
      this.ctx.log.error(
        `realm '${channel.app.realm}': channel failed to stop cleanly: ${errorMessage(err)}`,
      );
    }
  }

  /** Stops every channel (each drains first). Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.queue;
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((entry) => this.stopChannel(entry.channel)));
  }
}
