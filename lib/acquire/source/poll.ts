import type { PollSettings, PollTarget } from '../../config/settings.js';
import { nowNs } from '../../core/clock.js';
import { DecodeError, errorMessage, StorageError } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import type { Point } from '../../core/point.js';
import { decodePolledBody, type PolledBodyApp } from '../decode/polled-body.js';
import { fetchPolled } from './poll-fetch.js';
import { type PollNodeStatus, PollNodes, type PollResult } from './poll-nodes.js';
import { nextRoundDelay, spreadRound } from './poll-schedule.js';
import type { PollState, PollStateFile } from './poll-state-file.js';
import type { Source } from './source.js';

/** What a polling source needs of its realm's channel: the pipeline's stages, and its error reports. */
export interface PollIntake {
  /**
   * Stages 1 and 2 (decode the topic, sanitize the readings): the points of readings as if they had
   * arrived on `topic`, for one database. Throws `DecodeError`.
   */
  pointsOf(topic: string, readings: readonly Record<string, unknown>[], receivedAt: bigint): PolledPoints;
  /** Stage 3: resolves once the points are stored or spooled. Throws `StorageError`. */
  store(database: string, points: readonly Point[]): Promise<void>;
  /**
   * Parts of a body left out (`skipped` of them: CSV lines, readings that do not decode) or a body not
   * read at all (`skipped` 0): counted and reported as a message's problems on `topic` are.
   */
  report(topic: string, err: DecodeError, skipped: number): void;
}

/** Points for one database. */
export interface PolledPoints {
  database: string;
  points: Point[];
}

/** What became of one URL in a round: `daqd poll` prints it. */
export interface PollUrlReport {
  url: string;
  /** `aborted`: the round was stopped before its request started. */
  result: PollResult | 'aborted';
  /** Readings stored now. */
  stored: number;
  /** Readings of the body stored in an earlier round, not sent again. */
  already: number;
  /** Lines or readings left out as bad. */
  skipped: number;
  problem?: string | undefined;
}

/** One polling round of a realm. */
export interface PollRoundReport {
  realm: string;
  /** ISO time of its start. */
  started: string;
  urls: PollUrlReport[];
}

/** Everything a `PollSource` needs. */
export interface PollSourceContext {
  realm: string;
  settings: PollSettings;
  /** How bodies are read (`csv_fields`, `decoder`, else Content-Type). */
  app: PolledBodyApp;
  intake: PollIntake;
  /** Where what was delivered, and the nodes' validators, are kept across restarts. */
  stateFile: PollStateFile;
  log: Log;
  /** Uniform in [0, 1), for the jitter. Default `Math.random`. */
  random?: () => number;
}

/** `{name}` in `poll_topic`. */
const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;

/**
 * A realm's nodes polled over HTTP (`poll_urls`, or `poll_url` and `poll_hosts`): every
 * `poll_interval` a round GETs each URL (`poll-fetch.ts`) — at a random delay up to `poll_jitter`, at
 * most `poll_concurrency` at once, each bounded by `poll_timeout`, so a slow or silent node never
 * holds up the others (`poll-schedule.ts`) — conditionally where the node gave validators
 * (`poll-validators.ts`). A body is decoded as the realm reads its messages (`decode/polled-body.ts`),
 * its readings stored as if they had arrived on `poll_topic` (the realm's own topic layout), through
 * the same decode → sanitize → deliver path as MQTT and HTTP. Only readings newer than what the URL
 * already delivered are stored (`poll-delivered.ts`); what was delivered is kept under `data_dir`.
 * A node going down or coming back is logged once each (`poll-nodes.ts`), and counted for `/metrics`.
 *
 * `stop()` aborts the requests in flight and the timers, and waits for the readings being stored.
 */
export class PollSource implements Source {
  readonly nodes: PollNodes;
  private running = false;
  private stopping: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The round running or queued last; rounds run one after another. */
  private rounds: Promise<unknown> = Promise.resolve();
  private state: PollState | undefined;
  private stateLoad: Promise<PollState> | undefined;

  constructor(private readonly ctx: PollSourceContext) {
    this.nodes = new PollNodes(ctx.settings.targets);
  }

  get connected(): boolean {
    return this.running;
  }

  get origin(): string {
    return `poll (${this.ctx.settings.targets.length} URL(s))`;
  }

  /** Every polled URL's state. */
  status(): PollNodeStatus[] {
    return this.nodes.list();
  }

  async start(): Promise<void> {
    if (this.running || this.stopping !== undefined) return;
    this.running = true;
    await this.loadState();
    this.schedule(0);
  }

  stop(): Promise<void> {
    if (this.stopping === undefined) {
      this.running = false;
      clearTimeout(this.timer);
      this.abort.abort();
      this.stopping = this.rounds.then(() => {});
    }
    return this.stopping;
  }

  /**
   * Runs one round now (after the one running, if any); resolves with what it stored. A round asked
   * for while the source is stopped reports every URL `aborted`. `jitter: false` (a round asked for by
   * `daqd poll`) starts every request at once, `poll_concurrency` at a time.
   */
  runRound(options: { jitter?: boolean } = {}): Promise<PollRoundReport> {
    const round = this.rounds.then(() => this.round(options.jitter ?? true));
    this.rounds = round.catch(() => {});
    return round;
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      const startedAt = Date.now();
      void this.runRound().then(() =>
        this.schedule(nextRoundDelay(startedAt, Date.now(), this.ctx.settings.interval_ms)),
      );
    }, delay);
  }

  private loadState(): Promise<PollState> {
    this.stateLoad ??= this.ctx.stateFile.load().then((loaded) => {
      if (loaded.problem !== undefined)
        this.ctx.log.warning(`realm '${this.ctx.realm}': poll: ${loaded.problem}`);
      const urls = new Set(this.ctx.settings.targets.map((t) => t.url));
      loaded.delivered.retain(urls);
      loaded.validators.retain(urls);
      this.state = { delivered: loaded.delivered, validators: loaded.validators };
      return this.state;
    });
    return this.stateLoad;
  }

  private async round(jitter: boolean): Promise<PollRoundReport> {
    const { settings, realm, log } = this.ctx;
    const started = new Date().toISOString();
    const state = await this.loadState();
    const signal = this.abort.signal;
    const urls = await spreadRound(
      settings.targets,
      {
        concurrency: settings.concurrency,
        jitterMs: jitter ? settings.jitter_ms : 0,
        random: this.ctx.random ?? Math.random,
        signal,
      },
      (target, sig) =>
        this.pollOne(target, state, sig).catch((err: unknown) =>
          this.finish(target, {
            url: target.url,
            result: 'bad_body',
            stored: 0,
            already: 0,
            skipped: 0,
            problem: errorMessage(err),
          }),
        ),
      (target): PollUrlReport => ({ url: target.url, result: 'aborted', stored: 0, already: 0, skipped: 0 }),
    );
    try {
      await this.ctx.stateFile.save(state);
    } catch (err) {
      log.warning(`realm '${realm}': poll: cannot save ${this.ctx.stateFile.file}: ${errorMessage(err)}`);
    }
    const stored = urls.reduce((sum, u) => sum + u.stored, 0);
    const down = this.nodes.list().filter((n) => !n.up).length;
    log.info(
      `realm '${realm}': poll round: ${urls.length} URL(s), ${stored} reading(s) stored` +
        `${down > 0 ? `, ${down} node(s) down` : ''}`,
    );
    return { realm, started, urls };
  }

  /** One URL of a round: fetch, decode, store what is new; never throws. */
  private async pollOne(target: PollTarget, state: PollState, signal: AbortSignal): Promise<PollUrlReport> {
    const report: PollUrlReport = { url: target.url, result: 'ok', stored: 0, already: 0, skipped: 0 };
    const answer = await fetchPolled({
      url: target.url,
      headers: state.validators.headers(target.url),
      timeoutMs: this.ctx.settings.timeout_ms,
      signal,
    });
    if (signal.aborted) return { ...report, result: 'aborted' };
    if (answer.kind === 'failed')
      return this.finish(target, { ...report, result: answer.result, problem: answer.problem });
    if (answer.kind === 'not-modified') return this.finish(target, { ...report, result: 'not_modified' });
    const receivedAt = nowNs();
    const reportTopic = this.topicOf(target, {});
    let decoded: Awaited<ReturnType<typeof decodePolledBody>>;
    try {
      decoded = await decodePolledBody(answer.body, answer.contentType, this.ctx.app);
    } catch (err) {
      const problem = errorMessage(err);
      this.ctx.intake.report(reportTopic, err instanceof DecodeError ? err : new DecodeError(problem), 0);
      return this.finish(target, { ...report, result: 'bad_body', problem });
    }
    const skipped = [...decoded.skipped];
    let storeFailed: string | undefined;
    for (const [topic, readings] of this.byTopic(target, decoded.readings, skipped)) {
      const { database, points } = this.pointsOf(topic, readings, receivedAt, skipped);
      const fresh = state.delivered.fresh(target.url, database, points);
      report.already += points.length - fresh.length;
      if (fresh.length === 0) continue;
      try {
        await this.ctx.intake.store(database, fresh);
        state.delivered.mark(target.url, database, fresh);
        report.stored += fresh.length;
      } catch (err) {
        // Not stored: not marked either, so the next round sends these again.
        storeFailed ??= `'${database}': ${errorMessage(err)}`;
        if (!(err instanceof StorageError)) break;
      }
    }
    report.skipped = skipped.length;
    if (skipped.length > 0) {
      const more = skipped.length > 1 ? ` (and ${skipped.length - 1} more)` : '';
      this.ctx.intake.report(
        reportTopic,
        new DecodeError(`skipped ${skipped.length} line(s): ${skipped[0]}${more}`),
        skipped.length,
      );
    }
    if (storeFailed !== undefined)
      return this.finish(target, { ...report, result: 'store_failed', problem: storeFailed });
    // Only what is stored makes the next request conditional: otherwise the node would answer 304.
    state.validators.remember(target.url, answer.headers);
    return this.finish(target, report);
  }

  /** Records a URL's result; logs a node going down or coming back, once each. */
  private finish(target: PollTarget, report: PollUrlReport): PollUrlReport {
    if (report.result === 'aborted') return report;
    const change = this.nodes.record(target.url, report.result, report.problem, Date.now());
    const { log, realm } = this.ctx;
    if (change === 'down') log.warning(`realm '${realm}': poll: '${target.url}' is down: ${report.problem}`);
    else if (change === 'up') log.notice(`realm '${realm}': poll: '${target.url}' is back`);
    else if (report.problem !== undefined && log.isDebug()) {
      log.debug(`realm '${realm}': poll: '${target.url}': ${report.result}: ${report.problem}`);
    }
    return report;
  }

  /** `poll_topic` for `target` and a reading: `{host}`, then the reading's fields. */
  private topicOf(target: PollTarget, reading: Record<string, unknown>): string {
    return this.ctx.settings.topic.replace(PLACEHOLDER, (_whole, name: string) => {
      if (name === 'host') return target.host;
      const value = reading[name];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : target.host;
    });
  }

  /** Readings grouped by the topic they are stored as; those without a field the topic names are left out. */
  private byTopic(
    target: PollTarget,
    readings: readonly Record<string, unknown>[],
    skipped: string[],
  ): Map<string, Record<string, unknown>[]> {
    const names = [...this.ctx.settings.topic.matchAll(PLACEHOLDER)]
      .map((m) => m[1]!)
      .filter((n) => n !== 'host');
    const groups = new Map<string, Record<string, unknown>[]>();
    readings.forEach((reading, index) => {
      const missing = names.find((name) => {
        const value = reading[name];
        return !(typeof value === 'string' && value !== '') && typeof value !== 'number';
      });
      if (missing !== undefined) {
        skipped.push(`reading ${index + 1}: no '${missing}' for poll_topic`);
        return;
      }
      const topic = this.topicOf(target, reading);
      const group = groups.get(topic);
      if (group === undefined) groups.set(topic, [reading]);
      else group.push(reading);
    });
    return groups;
  }

  /**
   * The points of one topic's readings; when one of them does not decode, each is tried on its own and
   * the bad ones are left out (named in `skipped`), so one bad reading never stops the rest.
   */
  private pointsOf(
    topic: string,
    readings: readonly Record<string, unknown>[],
    receivedAt: bigint,
    skipped: string[],
  ): PolledPoints {
    try {
      return this.ctx.intake.pointsOf(topic, readings, receivedAt);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
    let database = '';
    const points: Point[] = [];
    for (const reading of readings) {
      try {
        const one = this.ctx.intake.pointsOf(topic, [reading], receivedAt);
        database = one.database;
        points.push(...one.points);
      } catch (err) {
        skipped.push(`'${topic}': ${errorMessage(err)}`);
      }
    }
    return { database, points };
  }
}
