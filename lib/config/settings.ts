import type { CsvColumn } from '../acquire/decode/decoder.js';
import type { TopicTemplate } from '../acquire/decode/strategy/topic-template.js';
import type { NameTemplate } from '../acquire/sanitize/storage-address.js';
import type { LogLevel } from '../core/log.js';
import type { ForwarderRoute } from './forwarder-route.js';
import type { GrafanaSettings } from './grafana-keys.js';
import type { HttpAccessSettings } from './http-access-keys.js';
import type { RealmLimits } from './limit-keys.js';

export type { LogLevel };

/** Connection to an MQTT broker: `[mqtt]` in the main file, `[<realm>:mqtt]` per realm. */
export interface MqttSettings {
  /** Broker host name or address. Default `127.0.0.1`. */
  host: string;
  /** Broker port. Default 1883 (8883 with TLS). */
  port: number;
  /** `mqtt` or `mqtts` (TLS). Default `mqtt`; `tls = true` or any TLS file selects `mqtts`. */
  protocol: 'mqtt' | 'mqtts';
  username?: string | undefined;
  password?: string | undefined;
  /** PEM file of the CA that signed the broker's certificate (TLS). */
  ca_file?: string | undefined;
  /** PEM client certificate and key (TLS client authentication). */
  cert_file?: string | undefined;
  key_file?: string | undefined;
  /** Accept a broker certificate that does not verify. Default false. */
  tls_insecure: boolean;
  /** Client id prefix; each realm connects as `<client_id>-<realm>`. Default `daqd-<hostname>`. */
  client_id: string;
  /** MQTT protocol version to try first: 5 (falls back to 4 = 3.1.1 when the broker lacks it) or 4. */
  protocol_version: 4 | 5;
  /** MQTT 5 Receive Maximum: QoS 1 messages the broker may send before daqd acknowledges. Default 1000. */
  receive_maximum: number;
  /** Keep-alive in seconds. Default 60. */
  keepalive: number;
}

/** `[mqtt]` of the main file: the default broker, or the embedded one. */
export interface MainMqttSettings extends MqttSettings {
  /** Run the built-in broker on host:port instead of connecting to an external one. Default false. */
  embedded: boolean;
  /** Embedded broker: WebSocket port (0 = off). */
  websocket_port: number;
  /** Embedded broker: `user:password` lines; unset = anonymous access. */
  password_file?: string | undefined;
  /** Embedded broker: `user = realm1, realm2` grants; unset = anyone may publish anywhere. */
  acl_file?: string | undefined;
  /**
   * Embedded broker: let clients in without a password even when it listens on a non-loopback
   * address. Default false: such a broker needs a `password_file` or refuses to start (exit 78).
   */
  allow_anonymous?: boolean | undefined;
}

/** Default `[storage] batch_size`: points per write to the store at most. */
export const DEFAULT_BATCH_SIZE = 5000;

/** `[influxdb]`: the InfluxDB server, spoken to over its v1 HTTP API. */
export interface InfluxSettings {
  /** Base URL, e.g. `http://127.0.0.1:8086`. Built from host/port when `url` is not given. */
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  /** InfluxDB 2/3 token (sent as `Authorization: Token …`). */
  token?: string | undefined;
  /** Longest a point waits for its batch to fill, milliseconds. Default 250. */
  flush_interval: number;
  /** Request timeout, milliseconds. Default 10000. */
  timeout: number;
}

/** The main configuration, validated once; passed down as an immutable object. */
export interface Settings {
  /** Absolute path of the main file. */
  file: string;
  /** Absolute include globs for realm app files. */
  include: readonly string[];
  daqd: {
    /** Folder for spool, CSV headers, embedded store and broker. Default `var` beside the main file. */
    data_dir: string;
    /**
     * `instance_id`: names this process among several daqd instances started with one configuration
     * (letters, digits, `_`, `-`; at most 64). Set, its own state moves to `<data_dir>/instances/<id>`
     * (`core/instance-dir.ts`) and the default MQTT client id gets `-<id>`. Default empty: none.
     */
    instance_id?: string | undefined;
    /** IANA zone for zone-less timestamps. Default: the host's zone. */
    timezone: string;
    log_level: LogLevel;
    /** Seconds a shutdown may take to drain before daqd exits anyway. Default 10. */
    shutdown_timeout: number;
    /** Seconds between per-realm summary lines; 0 = off. Default 60. */
    metrics_logger_interval: number;
  };
  http: {
    listen: string;
    port: number;
    /** Largest request body, bytes. Default 10 MiB. */
    max_body_size: number;
    /**
     * `cors_origins`: browser origins (`https://app.example.org`, or `*` for any) whose scripts may read
     * every route's answers (CORS, `http/cors.ts`). Default none: no CORS headers.
     */
    cors_origins?: readonly string[] | undefined;
    /**
     * Longest pause inside a request body, seconds, before it is refused with 408 (a stalled upload
     * frees its place); 0 = no limit. Default 30.
     */
    body_timeout: number;
    /**
     * Seconds between looks into the store for readings of a node a web page watches that did not pass
     * this instance (another daqd instance behind a load balancer, another writer); 0 = off. InfluxDB
     * store only. Default 1.
     */
    live_store_interval: number;
  } & HttpAccessSettings;
  mqtt: MainMqttSettings;
  influxdb?: InfluxSettings | undefined;
  storage: {
    backend: 'influxdb' | 'sqlite';
    /**
     * Points per write to the store at most, for every backend (`DEFAULT_BATCH_SIZE`). `[influxdb]
     * batch_size` is an alias of it while the backend is InfluxDB (Kotori's key); `[storage]` wins.
     */
    batch_size: number;
    /**
     * Disk the spool may use, MB (default 1024; 0: no spool). While the store is down, readings go to
     * `<data_dir>/spool` and are acknowledged; they are written to the store, in order, once it is back.
     */
    spool_max_mb: number;
    /**
     * Embedded store (`backend = sqlite`): database files kept open for writing at once (default
     * `DEFAULT_MAX_OPEN_DATABASES`); the least recently written is closed first. Each open one costs three
     * file descriptors (database, WAL, shared memory) and its page cache.
     */
    max_open_databases: number;
  };
  /** `[grafana]`: set when `enable = true` (InfluxDB store only); see `config/grafana-keys.ts`. */
  grafana?: GrafanaSettings | undefined;
}

/** A Kotori forwarder section (`application = kotori.io.protocol.forwarder:boot`), kept for HTTP. */
export interface Forwarder {
  section: string;
  file: string;
  line: number;
  /** e.g. `http:/api/hiveeyes/{address:.*}/{slot:(data|event)} [POST]`. */
  source: string;
  /** e.g. `mqtt:/hiveeyes/{address}/{slot}.json` or `influxdb:/{database}?measurement={measurement}`. */
  target: string;
}

/** One URL a realm polls, and the host it stands for (`{host}` in `poll_topic`). */
export interface PollTarget {
  url: string;
  /** The `poll_hosts` entry it was made from, or the URL's host name. */
  host: string;
}

/** A realm's polling of nodes over HTTP, read from its app's `poll_*` keys (`config/poll-keys.ts`). */
export interface PollSettings {
  targets: readonly PollTarget[];
  /**
   * `poll_topic`: the topic, in the realm's own topic layout, that a polled reading is stored as if it
   * had arrived on: `{host}` is the target's host, any other `{name}` the reading's field of that name
   * (`/isems/{nodeId}/csvlog`).
   */
  topic: string;
  /** `poll_interval`: ms from the start of one round to the start of the next. Default 15 min. */
  interval_ms: number;
  /** `poll_timeout`: ms one request (until its whole body is read) may take. Default 30 s. */
  timeout_ms: number;
  /** `poll_jitter`: each request of a round starts at a random delay up to this, ms. Default 30 s. */
  jitter_ms: number;
  /** `poll_concurrency`: requests in flight at most. Default 8. */
  concurrency: number;
}

/** One realm: everything its channel needs. Built from one app section (plus its forwarders). */
export interface RealmApp extends RealmLimits {
  /** Section name of the app, e.g. `hiverize` or `mqttkit-1`. */
  name: string;
  file: string;
  line: number;
  realm: string;
  /**
   * How the realm lays out its topics and HTTP paths: the name of a strategy of
   * `acquire/decode/strategy/registry.ts` (`mqttkit`, `basic`), from `application = …`; checked at load.
   */
  strategy: string;
  /**
   * `topic_template = sensors/{node}/{field}`: the topic layout of an app that is neither mqttkit nor
   * basic (selects the strategy `template`); compiled at load. Unset for mqttkit and basic.
   */
  topic_template?: TopicTemplate | undefined;
  /** `database = {project}_{serial}`: naming template of the database (template apps); unset = default. */
  database?: NameTemplate | undefined;
  /** `measurement = data`: naming template of the measurement (template apps); unset = default. */
  measurement?: NameTemplate | undefined;
  /**
   * `decoder = ttn`: the decoder of `acquire/decode/registry.ts` that takes every MQTT message of the
   * realm instead of slot matching (see `acquire/decode/app-decoder.ts`); checked at load. Unset = slots.
   */
  decoder?: string | undefined;
  /**
   * `csv_fields = isems` or `csv_fields = a, b, status?:hex`: every MQTT payload of the app is CSV lines
   * without a header, its cells named by these columns (`acquire/decode/csv-lines.ts`); template apps only.
   */
  csv_fields?: readonly CsvColumn[] | undefined;
  /** Subscriptions, MQTT filters. Default `<realm>/#`; with a topic template, its filter (`sensors/+/+`). */
  mqtt_topics: readonly string[];
  /** Broker of this realm: `[mqtt]` overlaid with `[<realm>:mqtt]`. */
  mqtt: MqttSettings;
  /** Subscribe as `$share/<group>/<topic>` so several daqd instances share the load. */
  mqtt_shared_group?: string | undefined;
  /** Field names that become tags. Default Kotori's set. */
  tags: readonly string[];
  /** Networks the `channel/<net>-<gw>-<node>` form may address; undefined = any. */
  direct_channel_allowed_networks?: readonly string[] | undefined;
  /**
   * Polling nodes over HTTP (`poll_urls`, or `poll_url` with `{host}` and `poll_hosts`; see
   * `acquire/source/poll.ts`). Unset: the realm polls nothing.
   */
  poll?: PollSettings | undefined;
  /** HTTP ingest `POST /api/<realm>/…/data`. */
  http_ingest: boolean;
  /** HTTP export `GET /api/<realm>/…/data.<suffix>`. */
  http_export: boolean;
  /**
   * Days: nodes silent for longer are hidden from the `latest` overviews and the ISEMS API's
   * `/measurements/latest` (the ISEMS data collector's `HIDE_INACTIVE_AFTER_DAYS`); 0 = never. Default 30.
   */
  hide_inactive_after_days: number;
  /**
   * `isems_api = true`: serve the ISEMS data collector's API for this realm's readings,
   * `/api/<realm>/measurements/…` and, when it is the only such realm, `/measurements/…` (`http/isems-api.ts`).
   * Default false.
   */
  isems_api?: boolean | undefined;
  /**
   * `isems_timezone`: the IANA zone whose wall-clock time the ISEMS API writes as `timestamp`, without an
   * offset, as the collector does (it converts with a fixed `Europe/Berlin`). Default `Europe/Berlin`.
   */
  isems_timezone?: string | undefined;
  /** Seconds between summary lines for this realm. */
  metrics_logger_interval: number;
  forwarders: readonly Forwarder[];
  /**
   * HTTP ingest routes, compiled and validated at load: the app's ingest forwarders in file order, or,
   * without any, the standard route (see `ingestRoutes`). Used only when `http_ingest` is true.
   */
  ingest_routes: readonly ForwarderRoute[];
}

/** Default `[storage] max_open_databases`: 384 file descriptors at most, well below the usual limit of 1024. */
export const DEFAULT_MAX_OPEN_DATABASES = 128;

/** Default `isems_timezone`: the zone the ISEMS data collector converts node times to. */
export const DEFAULT_ISEMS_TIMEZONE = 'Europe/Berlin';

/** Kotori's tag fields: these reading fields are stored as tags. */
export const DEFAULT_TAG_FIELDS: readonly string[] = [
  'geohash',
  'location',
  'location_id',
  'location_name',
  'sensor_id',
  'sensor_type',
];
