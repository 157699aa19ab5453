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

/** What a supervisor is handed. */
export interface ChannelSupervisorContext {
  makeChannel: (app: RealmApp) => Channel;
  /** Called once a removed realm's channel has stopped (its broker tap can then let go). */
  onRemoved?: ((realm: string) => void) | undefined;
  log: Log;
}

/** A realm between the stop of its old channel and the start of its new one. */
interface Restart {
  since: number;
  /** Settles with the new channel, or undefined when it failed to start. */
  done: Promise<Channel | undefined>;
}

/**
 * Runs one channel per realm and keeps the set in step with the configuration: on every (re)load it
 * starts new realms, stops removed ones and restarts only those whose settings changed. A realm whose
 * app is invalid now keeps its last good channel running. Loads are applied one at a time.
 *
 * A realm that restarts is still a realm: `restarting(realm)` says when it is back, so HTTP ingest
 * can wait for it instead of answering "no such realm".
 */
export class ChannelSupervisor {
  private readonly running = new Map<string, { channel: Channel; fingerprint: string }>();
  private readonly restarts = new Map<string, Restart>();
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly ctx: ChannelSupervisorContext) {}

  /** The running channel of a realm. */
  channel(realm: string): Channel | undefined {
    return this.running.get(realm)?.channel;
  }

  /**
   * For a realm that is restarting: settles with its new channel once it is back (undefined when it
   * failed to start). Undefined when the realm is not restarting.
   */
  restarting(realm: string): Promise<Channel | undefined> | undefined {
    return this.restarts.get(realm)?.done;
  }

  /** The realms restarting now, and since when (ms since the epoch). */
  restartingRealms(): { realm: string; since: number }[] {
    return [...this.restarts].map(([realm, { since }]) => ({ realm, since }));
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
        this.ctx.onRemoved?.(realm);
      } else if (fingerprint(app) !== entry.fingerprint) {
        await this.restart(entry.channel, app);
      }
    }
    for (const [realm, app] of desired) {
      if (!this.running.has(realm)) await this.startChannel(app);
    }
  }

  /** Stops a realm's channel and starts its new one; meanwhile the realm counts as restarting. */
  private async restart(old: Channel, app: RealmApp): Promise<void> {
    const { realm } = app;
    let back: (channel: Channel | undefined) => void = () => {};
    const done = new Promise<Channel | undefined>((resolve) => {
      back = resolve;
    });
    this.restarts.set(realm, { since: Date.now(), done });
    this.running.delete(realm);
    this.ctx.log.notice(`realm '${realm}': app changed; restarting its channel`);
    try {
      await this.stopChannel(old);
      await this.startChannel(app);
    } finally {
      this.restarts.delete(realm);
      back(this.channel(realm));
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
