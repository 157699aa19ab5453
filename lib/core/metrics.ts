import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The counters of one realm's channel, as `/metrics` reads them. */
export interface RealmCounters {
  app: { realm: string };
  stats: {
    received: number;
    stored: number;
    failed: number;
    ignored: number;
    /** Parts of stored messages left out (CSV lines); channels without such parts may leave it out. */
    skipped?: number;
    errorReports: { published: number; heldBack: number; noBaseTopic: number };
  };
  /** The URLs the realm polls and their state (`acquire/source/poll-nodes.ts`); absent or empty: none. */
  pollNodes?: () => readonly PolledNodeCounters[];
}

/** One polled URL as `/metrics` reads it. */
export interface PolledNodeCounters {
  url: string;
  up: boolean;
  /** ms since the epoch. */
  lastSuccess?: number | undefined;
  /** Requests by result (`ok`, `not_modified`, `timeout`, …). */
  requests: Readonly<Record<string, number>>;
  failures: number;
}

/** Where the metrics read the daemon's state at scrape time. */
export interface MetricsSources {
  channels: () => readonly RealmCounters[];
  /** Points accepted but not yet stored (the write batcher's queue). */
  queueDepth: () => number;
}

/** Which part of the API a request went to, as a label. */
export type RouteLabel = 'ingest' | 'export' | 'latest' | 'isems' | 'health' | 'metrics' | 'other';

/**
 * Prometheus metrics of one daemon, in a registry of its own (several daemons can share a process). The
 * components feed them: the write batcher each write to the store (`observeWrite`), the HTTP server each
 * request answered (`countRequest`) and each HTTP ingest stored (`observeIngest`); the channels' counters
 * and the batcher's queue are read when scraped (`MetricsSources`). `/metrics` serves `render()`.
 *
 * - `daqd_readings_{received,stored,failed,ignored}_total{realm}`: the channels' counters (MQTT and HTTP);
 * - `daqd_error_reports_total{realm,outcome}`: answers on `…/error.json`: `published`, `held_back` by the
 *   rate limit, `no_base_topic` (nowhere to answer);
 * - `daqd_storage_queue_depth`: points waiting for the store;
 * - `daqd_storage_write_duration_seconds{outcome}`: one batch write to the store, `ok` or `failed`;
 * - `daqd_http_ingest_duration_seconds{realm}`: HTTP ingest from arrival until the readings are stored
 *   (batching wait plus the write), i.e. the write latency a client sees;
 * - `daqd_http_requests_total{route,status}`;
 * - `daqd_poll_requests_total{realm,url,result}`, `daqd_poll_failures_total{realm,url}`,
 *   `daqd_poll_last_success_timestamp_seconds{realm,url}` (absent before a first success),
 *   `daqd_poll_up{realm,url}` (1 up, 0 down): the nodes a realm polls (`acquire/source/poll.ts`);
 * - `process_resident_memory_bytes`.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly ingestSeconds: Histogram<'realm'>;
  private readonly writeSeconds: Histogram<'outcome'>;
  private readonly requests: Counter<'route' | 'status'>;

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    const perRealm = (name: string, help: string, pick: (c: RealmCounters) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['realm'],
        registers,
        collect() {
          // The channels keep the totals; a restarted channel starts again at 0 (a counter reset).
          this.reset();
          for (const channel of sources.channels()) this.inc({ realm: channel.app.realm }, pick(channel));
        },
      });
    perRealm('daqd_readings_received_total', 'Readings received (MQTT and HTTP)', (c) => c.stats.received);
    perRealm('daqd_readings_stored_total', 'Readings stored', (c) => c.stats.stored);
    perRealm('daqd_readings_failed_total', 'Readings refused or not stored', (c) => c.stats.failed);
    perRealm(
      'daqd_readings_skipped_total',
      'Parts of stored messages left out (CSV lines with another field count)',
      (c) => c.stats.skipped ?? 0,
    );
    perRealm(
      'daqd_readings_ignored_total',
      'Messages on error topics, never handled (loop protection)',
      (c) => c.stats.ignored,
    );
    new Counter({
      name: 'daqd_error_reports_total',
      help: 'Error reports on <base topic>/error.json, by outcome',
      labelNames: ['realm', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const { app, stats } of sources.channels()) {
          const { published, heldBack, noBaseTopic } = stats.errorReports;
          this.inc({ realm: app.realm, outcome: 'published' }, published);
          this.inc({ realm: app.realm, outcome: 'held_back' }, heldBack);
          this.inc({ realm: app.realm, outcome: 'no_base_topic' }, noBaseTopic);
        }
      },
    });
    const polled = () =>
      sources
        .channels()
        .flatMap((c) => (c.pollNodes?.() ?? []).map((node) => ({ realm: c.app.realm, node })));
    new Counter({
      name: 'daqd_poll_requests_total',
      help: 'Requests to polled nodes, by result (ok, not_modified, http_error, timeout, unreachable, bad_body, store_failed)',
      labelNames: ['realm', 'url', 'result'],
      registers,
      collect() {
        this.reset();
        for (const { realm, node } of polled()) {
          for (const [result, n] of Object.entries(node.requests))
            this.inc({ realm, url: node.url, result }, n);
        }
      },
    });
    new Counter({
      name: 'daqd_poll_failures_total',
      help: 'Requests to polled nodes that failed (every result but ok and not_modified)',
      labelNames: ['realm', 'url'],
      registers,
      collect() {
        this.reset();
        for (const { realm, node } of polled()) this.inc({ realm, url: node.url }, node.failures);
      },
    });
    new Gauge({
      name: 'daqd_poll_last_success_timestamp_seconds',
      help: 'When a request to a polled node last succeeded, seconds since the epoch',
      labelNames: ['realm', 'url'],
      registers,
      collect() {
        this.reset();
        for (const { realm, node } of polled()) {
          if (node.lastSuccess !== undefined) this.set({ realm, url: node.url }, node.lastSuccess / 1000);
        }
      },
    });
    new Gauge({
      name: 'daqd_poll_up',
      help: 'A polled node answers (1) or is down (0)',
      labelNames: ['realm', 'url'],
      registers,
      collect() {
        this.reset();
        for (const { realm, node } of polled()) this.set({ realm, url: node.url }, node.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'daqd_storage_queue_depth',
      help: 'Points accepted but not yet stored',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
    this.ingestSeconds = new Histogram({
      name: 'daqd_http_ingest_duration_seconds',
      help: 'HTTP ingest: seconds from arrival until the readings are stored',
      labelNames: ['realm'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.writeSeconds = new Histogram({
      name: 'daqd_storage_write_duration_seconds',
      help: 'Seconds one batch write to the store took, by outcome (ok, failed)',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.requests = new Counter({
      name: 'daqd_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
  }

  /** An HTTP ingest whose readings were stored, `seconds` after it arrived. */
  observeIngest(realm: string, seconds: number): void {
    this.ingestSeconds.observe({ realm }, seconds);
  }

  /** A batch written to the store (or not), taking `seconds`. */
  observeWrite(seconds: number, ok: boolean): void {
    this.writeSeconds.observe({ outcome: ok ? 'ok' : 'failed' }, seconds);
  }

  /** A request answered. */
  countRequest(route: RouteLabel, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
