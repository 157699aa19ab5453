import { randomBytes } from 'node:crypto';
import { WriteBatcher } from './acquire/sink/batcher.js';
import { DeadLetterStore } from './acquire/sink/dead-letter.js';
import type { Sink } from './acquire/sink/sink.js';
import type { EmbeddedBroker } from './broker/embedded.js';
import { Channel } from './channel/channel.js';
import { ChannelSupervisor } from './channel/supervisor.js';
import { loadRealmApps } from './config/load.js';
import type { MqttSettings, RealmApp, Settings } from './config/settings.js';
import { ConfigWatcher } from './config/watcher.js';
import { errorMessage } from './core/errors.js';
import type { Log } from './core/log.js';
import { HttpServer } from './http/server.js';

/** The user daqd's own realm clients log in as on the embedded broker. */
const INTERNAL_USER = 'daqd';

/**
 * The whole daemon. Start: HTTP listen → storage → embedded broker → channels → file watcher → ready.
 * Stop: watcher, then intake (HTTP, channels) while the batcher drains, then broker and storage.
 */
export class Daemon {
  private http: HttpServer | undefined;
  private sink: Sink | undefined;
  private batcher: WriteBatcher | undefined;
  private broker: EmbeddedBroker | undefined;
  private supervisor: ChannelSupervisor | undefined;
  private watcher: ConfigWatcher | undefined;
  private starting: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** Random password of daqd's own clients on the embedded broker, fresh each start. */
  private readonly internalPassword = randomBytes(18).toString('base64url');

  constructor(private readonly ctx: { settings: Settings; log: Log }) {}

  /** The HTTP port actually bound. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  /** Starts every part in order; rejects (after undoing nothing: call `stop`) when one fails. */
  start(): Promise<void> {
    this.starting ??= this.startNow();
    return this.starting;
  }

  private async startNow(): Promise<void> {
    const { settings, log } = this.ctx;
    this.http = new HttpServer({
      listen: settings.http.listen,
      port: settings.http.port,
      log: log.child('daqd:http'),
      health: () => this.health(),
      settings,
      // The watcher is created once storage is up and every realm's channel has been started.
      ready: () => this.watcher !== undefined && this.stopping === undefined,
      channel: (realm) => this.supervisor?.channel(realm),
      channels: () => this.supervisor?.channels() ?? [],
      sink: () => this.sink,
      batcher: () => this.batcher,
    });
    await this.http.start();

    // Only the parts in use are loaded: the embedded store and broker cost memory a server with
    // InfluxDB and Mosquitto does not need to pay.
    this.sink =
      settings.storage.backend === 'influxdb' && settings.influxdb !== undefined
        ? new (await import('./acquire/sink/influxdb.js')).InfluxSink({
            settings: settings.influxdb,
            log: log.child('daqd:influxdb'),
          })
        : new (await import('./acquire/sink/sqlite.js')).SqliteSink({
            dataDir: settings.daqd.data_dir,
            log: log.child('daqd:sqlite'),
          });
    await this.sink.start();
    if (this.stopping !== undefined) return;
    this.batcher = new WriteBatcher({
      sink: this.sink,
      limits: {
        batch_size: settings.influxdb?.batch_size ?? 5000,
        flush_interval: settings.influxdb?.flush_interval ?? 250,
      },
      log: log.child('daqd:storage'),
      deadLetter: new DeadLetterStore({ dataDir: settings.daqd.data_dir }),
      observeWrite: (seconds, ok) => this.http?.observeWrite(seconds, ok),
    });

    if (settings.mqtt.embedded) {
      const { EmbeddedBroker } = await import('./broker/embedded.js');
      this.broker = new EmbeddedBroker({
        settings: settings.mqtt,
        dataDir: settings.daqd.data_dir,
        log: log.child('daqd:broker'),
        internalUsers: { [INTERNAL_USER]: this.internalPassword },
        admitLater: true,
      });
      await this.broker.start();
    }
    if (this.stopping !== undefined) return;

    const batcher = this.batcher;
    this.supervisor = new ChannelSupervisor({
      log,
      makeChannel: (app) =>
        new Channel({
          app,
          mqtt: this.brokerFor(app),
          timezone: settings.daqd.timezone,
          batcher,
          log: log.child(`daqd:realm:${app.realm}`),
        }),
    });
    await this.reload();
    // The realms have subscribed (and so have sessions to queue into): now nodes may publish.
    this.broker?.admitClients();
    if (this.stopping !== undefined) return;

    this.watcher = new ConfigWatcher({
      include: settings.include,
      log: log.child('daqd:config'),
      onChange: () => void this.reload(),
    });
    await this.watcher.start();
    log.notice(
      `ready: ${this.supervisor.channels().length} realm(s), storage '${this.sink.kind}', http port ${this.http.port}`,
    );
  }

  /**
   * The broker a realm connects to: its own `[<realm>:mqtt]` if it differs from `[mqtt]`; the embedded
   * broker (with daqd's internal login) when `[mqtt] embedded = true`.
   */
  private brokerFor(app: RealmApp): MqttSettings {
    const { mqtt } = this.ctx.settings;
    if (!mqtt.embedded || app.mqtt.host !== mqtt.host || app.mqtt.port !== mqtt.port) return app.mqtt;
    const host = mqtt.host === '0.0.0.0' || mqtt.host === '::' ? '127.0.0.1' : mqtt.host;
    return {
      ...app.mqtt,
      host,
      username: INTERNAL_USER,
      password: this.internalPassword,
      protocol_version: 4,
    };
  }

  /**
   * Re-reads every realm app and applies the difference (SIGHUP and file changes). Reloads run one
   * after another, so an older reading of the files is never applied after a newer one.
   */
  reload(): Promise<void> {
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next;
    return next;
  }

  private async reloadNow(): Promise<void> {
    const { settings, log } = this.ctx;
    const supervisor = this.supervisor;
    if (supervisor === undefined || this.stopping !== undefined) return;
    try {
      const loaded = await loadRealmApps(settings);
      for (const note of loaded.notes) log.info(note);
      for (const problem of loaded.problems) log.error(problem.format());
      await supervisor.apply(loaded);
    } catch (err) {
      log.error(`reload failed: ${errorMessage(err)}`);
    }
  }

  private async health(): Promise<{ ok: boolean } & Record<string, unknown>> {
    const storage = (await this.sink?.ping()) ?? false;
    const realms = (this.supervisor?.channels() ?? []).map((c) => ({
      realm: c.app.realm,
      connected: c.connected,
      received: c.stats.received,
      stored: c.stats.stored,
      failed: c.stats.failed,
    }));
    return {
      ok: storage && realms.every((r) => r.connected),
      storage: { kind: this.sink?.kind, ok: storage, queued: this.batcher?.depth ?? 0 },
      broker: { embedded: this.ctx.settings.mqtt.embedded },
      realms,
    };
  }

  /**
   * Stops intake, drains what was accepted (at most `deadline` ms for storage to take it), closes.
   * Idempotent: a second call waits for the first.
   */
  stop(deadline = this.ctx.settings.daqd.shutdown_timeout * 1000): Promise<void> {
    this.stopping ??= this.stopNow(deadline);
    return this.stopping;
  }

  private async stopNow(deadline: number): Promise<void> {
    const { log } = this.ctx;
    // A stop during start waits for the start to settle, so every part that started is stopped.
    await this.starting?.catch(() => {});
    const step = async (name: string, fn: (() => Promise<void>) | undefined) => {
      try {
        await fn?.();
      } catch (err) {
        log.error(`stopping ${name} failed: ${errorMessage(err)}`);
      }
    };
    await step('watcher', () => this.watcher?.stop() ?? Promise.resolve());
    // Intake stops while the batcher drains; past the deadline unstored readings stay unacknowledged.
    const drain = Math.max(deadline - 500, 0);
    await Promise.all([
      step('http', () => this.http?.stop() ?? Promise.resolve()),
      step('channels', () => this.supervisor?.stop() ?? Promise.resolve()),
      step('storage queue', () => this.batcher?.stop(drain) ?? Promise.resolve()),
    ]);
    await step('broker', () => this.broker?.stop() ?? Promise.resolve());
    await step('storage', () => this.sink?.stop() ?? Promise.resolve());
    log.notice('stopped');
  }
}
