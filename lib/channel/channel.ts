import { carriesErrors } from '../acquire/decode/error-slot.js';
import type { Topology } from '../acquire/decode/topology.js';
import type { WriteBatcher } from '../acquire/deliver/batcher.js';
import type { CatalogRealm, StoreCatalog } from '../acquire/deliver/store-catalog.js';
import {
  deliver,
  deliverSettled,
  messageToPoints,
  type PipelineContext,
  type PipelineResult,
  polledToPoints,
  readingsToPoints,
  TopicRoutes,
} from '../acquire/pipeline.js';
import { realmDatabaseFilter } from '../acquire/sanitize/realm-limits.js';
import { SeriesClock } from '../acquire/sanitize/series-clock.js';
import { type HttpReadingsTarget, HttpSource, type ReadingsIntake } from '../acquire/source/http.js';
import { type PollIntake, PollSource } from '../acquire/source/poll.js';
import type { PollNodeStatus } from '../acquire/source/poll-nodes.js';
import type { SourceHandlers } from '../acquire/source/registry.js';
import {
  canLeaveGroup,
  canPublish,
  type InboundMessage,
  type MessageOutcome,
  type Source,
  tellOutcome,
} from '../acquire/source/source.js';
import type { RealmApp } from '../config/settings.js';
import { nowNs } from '../core/clock.js';
import { DaqdError, DecodeError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import type { Point } from '../core/point.js';
import { ChannelStats } from './channel-stats.js';
import { ErrorReporter } from './error-reporter.js';
import { type MessageOutcomes, StoredMessage } from './stored-message.js';

/** Everything a channel needs: its app, where to store, and how to reach its broker. */
export interface ChannelContext {
  app: RealmApp;
  /**
   * Makes the channel's sources, handing them the channel's handlers: a connection to the realm's
   * broker or a tap of the embedded broker, HTTP ingest (see `acquire/source/registry.ts`).
   */
  openSources: (handlers: SourceHandlers) => readonly Source[];
  timezone: string;
  batcher: WriteBatcher;
  /** What the store holds, for the app's `max_databases` and `max_fields_per_measurement`. */
  catalog?: StoreCatalog | undefined;
  /**
   * Told of the points of every message taken from the realm's broker, before they are stored (the
   * same array the batcher reports as stored). Set for a realm read through a shared subscription:
   * the web view's live relay shows those from the broker. Must not throw.
   */
  fromShare?: ((points: readonly Point[]) => void) | undefined;
  log: Log;
}

/**
 * One realm's acquisition: takes the messages of the realm's sources (its topics on its broker, HTTP
 * bodies), runs each through the pipeline and hands the points to the batcher. A message is
 * acknowledged only when its points are stored. A bad message is counted and answered on
 * `<base topic>/error.json` (through a source that can publish); the channel goes on.
 */
export class Channel {
  readonly stats = new ChannelStats();
  private readonly pipeline: PipelineContext;
  private readonly errors: ErrorReporter;
  /** The running sources, in start order; undefined while stopped. */
  private sources: readonly Source[] | undefined;
  /** The HTTP source once started; kept after a stop, for requests that reached the realm before. */
  private http: HttpSource | undefined;
  private summaryTimer: NodeJS.Timeout | undefined;
  /** The app as the catalog sees it, made at the first admission. */
  private catalogRealm: CatalogRealm | undefined;

  constructor(private readonly ctx: ChannelContext) {
    this.pipeline = {
      app: ctx.app,
      timezone: ctx.timezone,
      clock: new SeriesClock(),
      routes: new TopicRoutes(),
    };
    this.errors = new ErrorReporter({
      app: ctx.app,
      publish: (topic, payload) => {
        const sources = this.sources;
        if (sources === undefined) return Promise.reject(new Error('the channel is stopped'));
        const publisher = sources.find(canPublish);
        if (publisher === undefined) return Promise.reject(new Error('no source of the channel can publish'));
        return publisher.publish(topic, payload, { qos: 0 });
      },
      onPublishError: (topic, err) => {
        ctx.log.debug(`realm '${ctx.app.realm}': cannot publish error to '${topic}': ${errorMessage(err)}`);
      },
    });
    this.stats.errorReports = this.errors.counts;
  }

  get app(): RealmApp {
    return this.ctx.app;
  }

  /** True while every source of the channel is up (its broker connection first of all). */
  get connected(): boolean {
    const sources = this.sources;
    return sources !== undefined && sources.length > 0 && sources.every((source) => source.connected);
  }

  /** The channel's HTTP ingest, when its app enables it and the channel has started. */
  get httpSource(): HttpSource | undefined {
    return this.http;
  }

  /** The channel's polling source, when its app polls and the channel runs. */
  get pollSource(): PollSource | undefined {
    return this.sources?.find((source): source is PollSource => source instanceof PollSource);
  }

  /** The URLs the channel polls and their state (none when its app polls nothing). */
  pollNodes(): PollNodeStatus[] {
    return this.pollSource?.status() ?? [];
  }

  async start(): Promise<void> {
    const { app, log } = this.ctx;
    const sources = this.ctx.openSources({
      onMessage: (message) => this.handleMessage(message),
      onMessageSettled: (message, outcome) => this.handleSettled(message, outcome),
      intake: this.intake,
      poll: this.pollIntake,
    });
    this.sources = sources;
    for (const source of sources) {
      await source.start();
      if (source instanceof HttpSource) this.http = source;
    }
    if (app.metrics_logger_interval > 0) {
      this.summaryTimer = setInterval(
        () => log.info(`realm '${app.realm}': ${this.stats.summarize()}`),
        app.metrics_logger_interval * 1000,
      );
      this.summaryTimer.unref();
    }
    const brokers = sources
      .filter((source) => !(source instanceof HttpSource))
      .map((source) => source.origin);
    log.info(
      `realm '${app.realm}': channel started (${app.strategy}; topics ${app.mqtt_topics.join(', ')}; ` +
        `broker ${brokers.join(', ') || 'none'}${this.http !== undefined ? '; HTTP ingest' : ''})`,
    );
  }

  /**
   * Takes the channel's broker connection out of its shared subscription group (`mqtt_shared_group`)
   * ahead of `stop`: the broker hands its share to the group's other members, and what it still sends
   * this one is stored and acknowledged, within `timeoutMs`. Nothing for a realm without a group.
   * `stop` does the same on its own; this lets daqd do it while its store still batches as usual.
   */
  async leaveSharedGroup(timeoutMs: number): Promise<void> {
    const sources = this.sources;
    if (sources === undefined || this.ctx.app.mqtt_shared_group === undefined) return;
    await Promise.all(sources.filter(canLeaveGroup).map((source) => source.leave(timeoutMs)));
  }

  /** Stops taking messages and waits until the ones taken are stored (and acknowledged). Idempotent. */
  async stop(): Promise<void> {
    if (this.summaryTimer !== undefined) clearInterval(this.summaryTimer);
    this.summaryTimer = undefined;
    const sources = this.sources;
    this.sources = undefined;
    if (sources === undefined) return;
    // All stop taking at once (in reverse start order), so one source's drain does not keep another
    // taking messages; then every one has drained.
    await Promise.all([...sources].reverse().map((source) => source.stop()));
    this.ctx.log.info(
      `realm '${this.ctx.app.realm}': channel stopped (stored ${this.stats.stored} since its start)`,
    );
  }

  /**
   * One MQTT message; settles once its points are stored or it failed for good (the source
   * acknowledges then). Rejects only when storing failed retryably (daqd is stopping), so the
   * message stays unacknowledged and the broker delivers it again.
   */
  private handleMessage(message: InboundMessage): Promise<void> {
    return new Promise<void>((resolve, reject) =>
      this.handleSettled(message, { done: resolve, failed: reject }),
    );
  }

  /**
   * `handleMessage` telling `outcome` instead of settling a promise (an MQTT connection's messages).
   * No async function and no promise per message: this runs for every reading, and what a reading
   * keeps alive while its batch fills (an async function's frame, a promise per stage and their
   * closures) is what the GC copies and promotes. The batcher tells a `StoredMessage` how it ended.
   */
  private handleSettled(message: InboundMessage, outcome: MessageOutcome): void {
    if (carriesErrors(message.topic)) {
      // An error report, daqd's own coming back under the realm's subscription or another's: never
      // handled, never answered (Kotori's loop protection). Not a reading, so not counted as received.
      this.stats.ignored++;
      outcome.done();
      return;
    }
    this.stats.received++;
    let result: PipelineResult;
    try {
      result = messageToPoints(message, this.pipeline);
    } catch (err) {
      tellOutcome(this.failed(message, undefined, err), outcome);
      return;
    }
    if (result.kind === 'ignore') {
      this.stats.ignored++;
      if (this.ctx.log.isDebug()) {
        this.ctx.log.debug(`realm '${this.ctx.app.realm}': ignored '${message.topic}': ${result.reason}`);
      }
      outcome.done();
      return;
    }
    const { database, points, skipped } = result;
    this.ctx.fromShare?.(points);
    const stored = new StoredMessage(this.outcomes, message, database, skipped, outcome);
    if (this.checksLimits()) {
      this.admitted(database, points, () => deliver(database, points, this.ctx.batcher)).then(
        () => stored.stored(),
        (err: unknown) => stored.failed(err),
      );
    } else {
      deliverSettled(database, points, this.ctx.batcher, stored);
    }
  }

  /** What a `StoredMessage` tells its channel. */
  private readonly outcomes: MessageOutcomes = {
    stored: (message, skipped) => this.messageStored(message, skipped),
    failed: (message, database, err) => this.failed(message, database, err),
  };

  /** A message's points are stored: counted, and what was left out of it reported. */
  private messageStored(message: InboundMessage, skipped: readonly string[] | undefined): void {
    this.stats.stored++;
    if (skipped !== undefined) this.partlySkipped(message, skipped);
  }

  /** A message that could not be stored: counted and answered on the error topic, or rethrown (see above). */
  private async failed(message: InboundMessage, database: string | undefined, err: unknown): Promise<void> {
    if (err instanceof DaqdError && err.code === 'storage' && (err as { retryable?: boolean }).retryable) {
      // Not stored and not rejected for good (daqd is stopping): leave it unacknowledged, the broker
      // delivers it again.
      throw err;
    }
    this.stats.failed++;
    if (this.ctx.log.isDebug()) {
      this.ctx.log.debug(
        `realm '${this.ctx.app.realm}': cannot store '${message.topic}'${database ? ` into '${database}'` : ''}: ${errorMessage(err)}`,
      );
    }
    this.errors.report(message, err);
  }

  /**
   * A message stored but for some of its parts (CSV lines with another field count): those are counted
   * and answered on the error topic, naming the first; the rest of the message is stored.
   */
  private partlySkipped(message: InboundMessage, skipped: readonly string[]): void {
    this.stats.skipped += skipped.length;
    const first = skipped[0] ?? '';
    const more = skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : '';
    if (this.ctx.log.isDebug()) {
      this.ctx.log.debug(`realm '${this.ctx.app.realm}': '${message.topic}': skipped ${skipped.join('; ')}`);
    }
    this.errors.report(message, new DecodeError(`skipped ${skipped.length} line(s): ${first}${more}`));
  }

  /** The channel's way in for readings decoded already (its HTTP source's handler). */
  private readonly intake: ReadingsIntake = {
    checkReadings: (target, readings) => this.checkReadings(target, readings),
    ingest: (topology, kind, readings, receivedAt) => this.ingest(topology, kind, readings, receivedAt),
    storePoints: (database, points) => this.storePoints(database, points),
  };

  /** The channel's way in for readings of polled bodies (its polling source's handler). */
  private readonly pollIntake: PollIntake = {
    pointsOf: (topic, readings, receivedAt) => polledToPoints(topic, readings, receivedAt, this.pipeline),
    store: (database, points) => this.storePoints(database, points),
    report: (topic, err, skipped) => {
      // Lines left out of a stored body are counted as a message's are; a body not read at all failed.
      if (skipped > 0) this.stats.skipped += skipped;
      else this.stats.failed++;
      if (this.ctx.log.isDebug())
        this.ctx.log.debug(`realm '${this.ctx.app.realm}': '${topic}': ${err.message}`);
      this.errors.report({ topic, payload: Buffer.alloc(0), receivedAt: nowNs() }, err);
    },
  };

  /** Stores points that arrived as points (line protocol) through delivery. Throws `StorageError`. */
  storePoints(database: string, points: readonly Point[]): Promise<void> {
    return this.counted(points.length, () =>
      this.admitted(database, points, () => deliver(database, points, this.ctx.batcher)),
    );
  }

  /**
   * Runs readings through decode and sanitize on a scratch clock, storing nothing: throws the
   * `DecodeError` storing them would (a body is checked whole before any of it is stored).
   */
  checkReadings(target: HttpReadingsTarget, readings: readonly Record<string, unknown>[]): void {
    const scratch = { app: this.ctx.app, timezone: this.ctx.timezone, clock: new SeriesClock() };
    readingsToPoints(target.topology, target.kind, readings, target.receivedAt, scratch);
  }

  /**
   * Stores readings that arrived some other way (HTTP ingest) through the same pipeline.
   * Resolves to the number of readings stored; throws `DecodeError` / `StorageError`.
   */
  async ingest(
    topology: Topology,
    kind: 'data' | 'event',
    readings: readonly Record<string, unknown>[],
    receivedAt: bigint,
  ): Promise<number> {
    await this.counted(readings.length, () => {
      const result = readingsToPoints(topology, kind, readings, receivedAt, this.pipeline);
      return this.admitted(result.database, result.points, () =>
        deliver(result.database, result.points, this.ctx.batcher),
      );
    });
    return readings.length;
  }

  /**
   * Runs `store` once the catalog admits the points (the app's `max_databases` and
   * `max_fields_per_measurement`); rejects with its `LimitError` otherwise, storing nothing. An app
   * without those limits goes straight to `store`.
   */
  private admitted(database: string, points: readonly Point[], store: () => Promise<void>): Promise<void> {
    const { app, catalog } = this.ctx;
    if (catalog === undefined || !this.checksLimits()) return store();
    this.catalogRealm ??= { ...app, ownsDatabase: realmDatabaseFilter(app) };
    return catalog.admit(this.catalogRealm, database, points).then(store);
  }

  /** Points are checked against the app's `max_databases` / `max_fields_per_measurement` first. */
  private checksLimits(): boolean {
    const { app, catalog } = this.ctx;
    return (
      catalog !== undefined &&
      (app.max_databases !== undefined || app.max_fields_per_measurement !== undefined)
    );
  }

  /** Counts `count` readings received, then stored or failed as `store` settles; rethrows its error. */
  private async counted(count: number, store: () => Promise<void>): Promise<void> {
    this.stats.received += count;
    try {
      await store();
      this.stats.stored += count;
    } catch (err) {
      this.stats.failed += count;
      throw err;
    }
  }
}
