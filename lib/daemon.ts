import path from 'node:path';
import { WriteBatcher } from './acquire/deliver/batcher.js';
import { DeadLetterStore } from './acquire/deliver/dead-letter.js';
import { Spool } from './acquire/deliver/spool.js';
import { StoreCatalog } from './acquire/deliver/store-catalog.js';
import type { Sink } from './acquire/sink/sink.js';
import { openSources, realmOnEmbeddedBroker } from './acquire/source/registry.js';
import type { EmbeddedBroker } from './broker/embedded.js';
import { turnOffPacketIdCache } from './broker/packet-id-cache.js';
import { Channel } from './channel/channel.js';
import { ChannelSupervisor } from './channel/supervisor.js';
import { loadRealmApps } from './config/load.js';
import type { RealmApp, Settings } from './config/settings.js';
import { ConfigWatcher } from './config/watcher.js';
import { BoundedCheck } from './core/bounded-check.js';
import { DataDirLock } from './core/data-dir-lock.js';
import { errorMessage } from './core/errors.js';
import { instanceDir, readingsLeftInDataDir } from './core/instance-dir.js';
import type { Log } from './core/log.js';
import { Metrics } from './core/metrics.js';
import { healthReport } from './daemon-health.js';
import type { GrafanaProvisioner } from './grafana/provisioner.js';
import { HttpServer } from './http/server.js';
import { LiveFeed } from './web/live-feed.js';
import { LiveRelay } from './web/live-relay.js';
import { StoreFollow } from './web/store-follow.js';
import { webRouter } from './web/web-router.js';

/**
 * Longest wait for the store's answer to /health's check, ms: /health answers within a second even while
 * the store hangs (a hung InfluxDB answers nothing until `[influxdb] timeout`).
 */
const HEALTH_CHECK_WAIT_MS = 800;

/**
 * The whole daemon. Start: HTTP listen → storage → embedded broker → channels → file watcher → ready.
 * Stop: watcher, then intake (HTTP, channels) while the batcher drains, then broker and storage.
 */
export class Daemon {
  private lock: DataDirLock | undefined;
  private http: HttpServer | undefined;
  private sink: Sink | undefined;
  private batcher: WriteBatcher | undefined;
  private broker: EmbeddedBroker | undefined;
  private supervisor: ChannelSupervisor | undefined;
  private watcher: ConfigWatcher | undefined;
  /** `[grafana] enable`: keeps Grafana's provisioning files current. */
  private grafana: GrafanaProvisioner | undefined;
  /** Stored readings, to the web view's open node pages. */
  private readonly feed = new LiveFeed();
  /** Made in `start`: what another instance stores of a shared realm, to the same pages. */
  private relay: LiveRelay | undefined;
  private follow: StoreFollow | undefined;
  private starting: Promise<void> | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  /** /health's check of the store, answered within `HEALTH_CHECK_WAIT_MS`. */
  private readonly storageCheck = new BoundedCheck({
    run: () => this.sink?.ping() ?? Promise.resolve(false),
    waitMs: HEALTH_CHECK_WAIT_MS,
  });

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
    // Before the embedded broker or a broker connection writes its first MQTT packet.
    turnOffPacketIdCache();
    // This process's own state (all of data_dir unless `[daqd] instance_id` names a folder in it).
    const ownDir = instanceDir(settings.daqd);
    // Before anything listens: a second daqd on the same folder says who holds it, and stops.
    this.lock = new DataDirLock({ dir: ownDir, log });
    await this.lock.acquire();
    for (const folder of await readingsLeftInDataDir(settings.daqd)) {
      log.warning(
        `'${folder}' holds readings of a daqd run without [daqd] instance_id; this instance does not ` +
          'deliver them: run daqd once without instance_id (it writes them to the store), then remove it',
      );
    }
    // A realm split over instances by a shared subscription: its live view comes from the broker.
    const shared = (app: RealmApp) =>
      app.mqtt_shared_group !== undefined &&
      !realmOnEmbeddedBroker(app, settings.mqtt, settings.mqtt.embedded);
    const relay = new LiveRelay({
      feed: this.feed,
      timezone: settings.daqd.timezone,
      log: log.child('daqd:web'),
      shared,
    });
    this.relay = relay;
    // With InfluxDB, what other instances (or writers) store is read back for the pages watching it.
    const follow =
      settings.storage.backend === 'influxdb' && settings.http.live_store_interval > 0
        ? new StoreFollow({
            feed: this.feed,
            sink: () => this.sink,
            intervalMs: settings.http.live_store_interval * 1000,
            log: log.child('daqd:web'),
          })
        : undefined;
    this.follow = follow;
    // Fed by the components: the batcher's writes, the HTTP server's requests; read when scraped.
    const metrics = new Metrics({
      channels: () => this.supervisor?.channels() ?? [],
      queueDepth: () => this.batcher?.depth ?? 0,
    });
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
      restarting: (realm) => this.supervisor?.restarting(realm),
      sink: () => this.sink,
      metrics,
      routers: [
        webRouter({
          ready: () => this.watcher !== undefined && this.stopping === undefined,
          apps: () => this.supervisor?.channels().map((channel) => channel.app) ?? [],
          sink: () => this.sink,
          feed: this.feed,
          relay,
          follow,
          timezone: settings.daqd.timezone,
        }),
      ],
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
            maxOpen: settings.storage.max_open_databases,
          });
    await this.sink.start();
    if (this.stopping !== undefined) return;
    if (settings.grafana !== undefined) {
      const { GrafanaProvisioner } = await import('./grafana/provisioner.js');
      this.grafana = new GrafanaProvisioner({
        settings: settings.grafana,
        dataDir: settings.daqd.data_dir,
        sink: this.sink,
        log: log.child('daqd:grafana'),
      });
      // Not awaited: reading a large store must not hold up ingest; new fields queue behind it.
      void this.grafana.start();
    }
    this.batcher = new WriteBatcher({
      sink: this.sink,
      limits: {
        batch_size: settings.storage.batch_size,
        flush_interval: settings.influxdb?.flush_interval ?? 250,
      },
      log: log.child('daqd:storage'),
      deadLetter: new DeadLetterStore({ dataDir: ownDir }),
      observeWrite: (seconds, ok) => metrics.observeWrite(seconds, ok),
      spool:
        settings.storage.spool_max_mb > 0
          ? new Spool({
              dir: path.join(ownDir, 'spool'),
              maxBytes: settings.storage.spool_max_mb * 2 ** 20,
              log: log.child('daqd:spool'),
            })
          : undefined,
      onStored: (database, points) => {
        this.feed.publish(database, points);
        this.grafana?.onStored(database, points);
      },
    });
    await this.batcher.start();

    if (settings.mqtt.embedded) {
      const { EmbeddedBroker } = await import('./broker/embedded.js');
      this.broker = new EmbeddedBroker({
        settings: settings.mqtt,
        dataDir: ownDir,
        log: log.child('daqd:broker'),
        admitLater: true,
      });
      await this.broker.start();
    }
    if (this.stopping !== undefined) return;

    const batcher = this.batcher;
    // One view of what the store holds, shared by the realms' limits (max_databases, …).
    const catalog = new StoreCatalog({ sink: this.sink });
    this.supervisor = new ChannelSupervisor({
      log,
      // A removed realm's tap lets go of what it held, as for any topic no realm takes.
      onRemoved: (realm) => this.broker?.closeTap(realm),
      makeChannel: (app) =>
        new Channel({
          app,
          // Where a realm's messages come from: see the source registry.
          openSources: (handlers) =>
            openSources({
              app,
              mainBroker: settings.mqtt,
              broker: this.broker,
              log: this.ctx.log,
              dataDir: ownDir,
              leaveTimeout: leaveBudget(settings.daqd.shutdown_timeout * 1000),
              ...handlers,
            }),
          timezone: settings.daqd.timezone,
          batcher,
          catalog,
          fromShare: shared(app) ? (points) => relay.fromShare(app.realm, points) : undefined,
          log: log.child(`daqd:realm:${app.realm}`),
        }),
    });
    await this.reload();
    // The realms' taps are open: now nodes may publish.
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

  /** SIGHUP: re-reads the realm apps, the HTTP access file and certificate, and the broker's access files. */
  async hangup(): Promise<void> {
    await Promise.all([this.reload(), this.broker?.reloadAccess(), this.http?.reloadAccess()]);
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
      for (const warning of loaded.warnings) log.warning(warning);
      for (const problem of loaded.problems) log.error(problem.format());
      await supervisor.apply(loaded);
    } catch (err) {
      log.error(`reload failed: ${errorMessage(err)}`);
    }
  }

  /** The /health report of the parts running now (`daemon-health.ts`). */
  private health(): Promise<{ ok: boolean } & Record<string, unknown>> {
    return healthReport({
      storageCheck: this.storageCheck,
      sink: this.sink,
      batcher: this.batcher,
      supervisor: this.supervisor,
      broker: this.broker,
      embedded: this.ctx.settings.mqtt.embedded,
      feed: this.feed,
      relay: this.relay,
      follow: this.follow,
    });
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
    // Open live streams would hold the HTTP server's close until its grace time.
    this.feed.close();
    this.follow?.close();
    await step('live relay', () => this.relay?.close() ?? Promise.resolve());
    // Members of a shared group leave it first, while the store still batches as usual: the group
    // takes over their share, and what the broker still sends them is stored and acknowledged.
    const leaving = Date.now();
    const channels = this.supervisor?.channels() ?? [];
    await step('shared groups', async () => {
      await Promise.all(channels.map((channel) => channel.leaveSharedGroup(leaveBudget(deadline))));
    });
    // Intake stops while the batcher drains; past the deadline unstored readings stay unacknowledged.
    const drain = Math.max(deadline - (Date.now() - leaving) - 500, 0);
    await Promise.all([
      step('http', () => this.http?.stop() ?? Promise.resolve()),
      step('channels', () => this.supervisor?.stop() ?? Promise.resolve()),
      step('storage queue', () => this.batcher?.stop(drain) ?? Promise.resolve()),
    ]);
    await step('grafana', () => this.grafana?.stop() ?? Promise.resolve());
    await step('broker', () => this.broker?.stop() ?? Promise.resolve());
    await step('storage', () => this.sink?.stop() ?? Promise.resolve());
    await step('data_dir lock', () => this.lock?.release() ?? Promise.resolve());
    log.notice('stopped');
  }
}

/** The part of a stop's `deadline` (ms) that leaving shared groups may take: half, the rest drains. */
function leaveBudget(deadline: number): number {
  return deadline / 2;
}
