import { hostname } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../core/errors.js';
import { isLogLevel } from '../core/log.js';
import { DEFAULT_BODY_TIMEOUT_S } from '../http/body-idle.js';
import { brokerExposureProblem } from './broker-exposure.js';
import { readCorsOrigins } from './cors-origins-key.js';
import { readGrafanaKeys } from './grafana-keys.js';
import { readHttpAccessKeys } from './http-access-keys.js';
import { type IniFile, type IniSection, splitList } from './ini-file.js';
import { instanceClientId, instanceWarnings, readInstanceId } from './instance-keys.js';
import { KOTORI_IGNORED_KEYS, KOTORI_IGNORED_SECTIONS, UNWRITABLE_STORAGE } from './kotori-keys.js';
import { SectionReader } from './section-reader.js';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_OPEN_DATABASES,
  type InfluxSettings,
  type LogLevel,
  type MainMqttSettings,
  type MqttSettings,
  type Settings,
} from './settings.js';

/** Sections of the main file that daqd reads. */
const MAIN_SECTIONS = ['main', 'daqd', 'kotori', 'http', 'mqtt', 'influxdb', 'storage', 'grafana'] as const;

/** Default HTTP port: Kotori's, so existing clients keep working. */
export const DEFAULT_HTTP_PORT = 24642;

/** `data_dir` of an installed daqd (a main file under `/etc`): the systemd unit's StateDirectory. */
export const SYSTEM_DATA_DIR = '/var/lib/daqd';

/** The include glob when `[main] include` is not given. */
export const DEFAULT_INCLUDE = 'apps-enabled/*.ini';

/** What reading the main file produced: settings (always, with defaults where values were bad). */
export interface MainSettingsResult {
  settings: Settings;
  problems: ConfigError[];
  /** Informational lines (ignored Kotori sections and keys and the like). */
  notes: string[];
  /** Lines worth a warning that do not stop daqd (e.g. an include glob that matches no file). */
  warnings: string[];
  /** `[main] include` as written, in order (or the default); `settings.include` holds them resolved. */
  includeGlobs: string[];
  /** False when `[main] include` is not given and the default applies. */
  includeWritten: boolean;
}

/** Environment overrides `DAQD_<SECTION>_<KEY>` for the main file's sections. */
export function environmentOverrides(env: NodeJS.ProcessEnv): Map<string, Map<string, string>> {
  const result = new Map<string, Map<string, string>>();
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith('DAQD_')) continue;
    for (const section of MAIN_SECTIONS) {
      const prefix = `DAQD_${section.toUpperCase()}_`;
      if (!name.startsWith(prefix) || name.length === prefix.length) continue;
      const key = name.slice(prefix.length).toLowerCase();
      let keys = result.get(section);
      if (keys === undefined) {
        keys = new Map();
        result.set(section, keys);
      }
      keys.set(key, value);
    }
  }
  return result;
}

function hostZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** True when `zone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads the broker keys shared by `[mqtt]` and `[<realm>:mqtt]` over `base`.
 * TLS: `tls = true`, `protocol = mqtts` or any TLS file selects mqtts; its default port is 8883.
 */
export function readMqttKeys(reader: SectionReader, base: MqttSettings): MqttSettings {
  const caFile = reader.string('ca_file') ?? base.ca_file;
  const certFile = reader.string('cert_file') ?? base.cert_file;
  const keyFile = reader.string('key_file') ?? base.key_file;
  const tlsDefault = base.protocol === 'mqtts' || reader.has('ca_file') || reader.has('cert_file');
  const tls = reader.boolean('tls', tlsDefault);
  const protocol = reader.choice('protocol', ['mqtt', 'mqtts'] as const, tls ? 'mqtts' : 'mqtt');
  const portDefault = reader.has('port')
    ? base.port
    : protocol === 'mqtts' && base.port === 1883
      ? 8883
      : base.port;
  const version = reader.integer('protocol_version', base.protocol_version, { min: 4, max: 5 });
  return {
    host: reader.string('host', base.host),
    port: reader.integer('port', portDefault, { min: 1, max: 65535 }),
    protocol,
    username: reader.string('username') ?? base.username,
    password: reader.string('password') ?? base.password,
    ca_file: caFile,
    cert_file: certFile,
    key_file: keyFile,
    tls_insecure: reader.boolean('tls_insecure', base.tls_insecure),
    client_id: reader.string('client_id', base.client_id),
    protocol_version: version === 4 ? 4 : 5,
    receive_maximum: reader.integer('receive_maximum', base.receive_maximum, { min: 1, max: 65535 }),
    keepalive: reader.integer('keepalive', base.keepalive, { min: 0, max: 65535 }),
  };
}

/** Broker defaults before any file is read. */
export function defaultMqtt(): MqttSettings {
  return {
    host: '127.0.0.1',
    port: 1883,
    protocol: 'mqtt',
    tls_insecure: false,
    client_id: `daqd-${hostname()}`,
    protocol_version: 5,
    receive_maximum: 1000,
    keepalive: 60,
  };
}

function emptySection(name: string, file: string): IniSection {
  return { name, file, line: 0, entries: new Map() };
}

/** `file:line: section.key: message`, the form of every configuration message. */
function located(reader: SectionReader, key: string | undefined, message: string): string {
  return new ConfigError(message, {
    file: reader.section.file,
    line: key === undefined ? reader.section.line : reader.lineOf(key),
    key: key === undefined ? reader.section.name : `${reader.section.name}.${key}`,
  }).format();
}

/** Marks the Kotori keys of a section as known: one info line for each that is set (but `except`). */
function ignoreKotoriKeys(reader: SectionReader, notes: string[], except: readonly string[] = []): void {
  for (const key of KOTORI_IGNORED_KEYS[reader.section.name] ?? []) {
    if (reader.raw(key) !== undefined && !except.includes(key)) {
      notes.push(located(reader, key, 'ignored: used by Kotori, not needed by daqd'));
    }
  }
}

/**
 * True for an installed main file (Debian's `/etc/daqd/daqd.ini`, Kotori's `/etc/kotori/kotori.ini`):
 * its state belongs under `/var/lib` (FHS), not beside it as in a checkout.
 */
function isSystemFile(file: string): boolean {
  return file.startsWith('/etc/');
}

/**
 * Validates the main file (`etc/daqd.ini`, or a Kotori main file) into `Settings`.
 * Every problem is collected; the caller decides whether to exit (78) or go on.
 */
export function readMainSettings(ini: IniFile, env: NodeJS.ProcessEnv = process.env): MainSettingsResult {
  const problems: ConfigError[] = [];
  const notes: string[] = [];
  const file = ini.file;
  const dir = path.dirname(file);
  const overrides = environmentOverrides(env);
  const byName = new Map(ini.sections.map((s) => [s.name, s]));
  const reader = (name: string) =>
    new SectionReader(byName.get(name) ?? emptySection(name, file), problems, overrides.get(name));

  const warnings: string[] = [];
  for (const section of ini.sections) {
    const why = KOTORI_IGNORED_SECTIONS[section.name];
    if (why !== undefined) {
      notes.push(
        `${file}:${section.line}: section [${section.name}] is Kotori's and not used by daqd (${why}); ignored`,
      );
    }
  }

  const main = reader('main');
  const includeWritten = main.string('include') !== undefined;
  const includeGlobs = splitList(main.string('include', DEFAULT_INCLUDE));
  const include = includeGlobs.map((glob) => (path.isAbsolute(glob) ? glob : path.join(dir, glob)));
  main.rejectUnknownKeys();

  const daqd = reader('daqd');
  const dataDir = daqd.string('data_dir', isSystemFile(file) ? SYSTEM_DATA_DIR : 'var');
  const timezone = daqd.string('timezone', hostZone());
  if (!isValidTimeZone(timezone)) daqd.problem('timezone', `'${timezone}' is not a known IANA time zone`);
  const logLevelRaw = daqd.string('log_level', 'info');
  const aliases: Record<string, LogLevel> = { warn: 'warning', critical: 'crit', emergency: 'emerg' };
  const logLevel = aliases[logLevelRaw] ?? logLevelRaw;
  if (!isLogLevel(logLevel))
    daqd.problem('log_level', `'${logLevelRaw}' is not a log level (error, warning, notice, info, debug)`);
  const daqdSettings: Settings['daqd'] = {
    data_dir: path.resolve(dir, dataDir),
    instance_id: readInstanceId(daqd),
    timezone: isValidTimeZone(timezone) ? timezone : 'UTC',
    log_level: isLogLevel(logLevel) ? logLevel : 'info',
    shutdown_timeout: daqd.number('shutdown_timeout', 10, { min: 0 }),
    metrics_logger_interval: daqd.number('metrics_logger_interval', 60, { min: 0 }),
  };
  daqd.rejectUnknownKeys();

  // Kotori keeps the HTTP server in [kotori] http_listen/http_port. Both places may be set: the
  // environment (DAQD_HTTP_*) wins, then [http], then [kotori]. Both are read, so both are checked.
  const kotori = reader('kotori');
  const http = reader('http');
  const portRange = { min: 0, max: 65535 };
  const kotoriListen = kotori.string('http_listen');
  const kotoriPort = kotori.has('http_port')
    ? kotori.integer('http_port', DEFAULT_HTTP_PORT, portRange)
    : undefined;
  const httpListen = http.string('listen');
  const httpPort = http.has('port') ? http.integer('port', DEFAULT_HTTP_PORT, portRange) : undefined;
  for (const [key, mine, theirs] of [
    ['http_listen', httpListen, 'listen'],
    ['http_port', httpPort, 'port'],
  ] as const) {
    if (mine !== undefined && kotori.has(key)) {
      notes.push(
        located(kotori, key, `not used: [http] ${theirs} (or $DAQD_HTTP_${theirs.toUpperCase()}) wins`),
      );
    }
  }
  const listen = httpListen ?? kotoriListen ?? '127.0.0.1';
  const httpSettings: Settings['http'] = {
    listen,
    port: httpPort ?? kotoriPort ?? DEFAULT_HTTP_PORT,
    max_body_size: http.integer('max_body_size', 10 * 1024 * 1024, { min: 1 }),
    ...readHttpAccessKeys(http, dir, listen),
    cors_origins: readCorsOrigins(http),
    body_timeout: http.number('body_timeout', DEFAULT_BODY_TIMEOUT_S, { min: 0 }),
    live_store_interval: http.number('live_store_interval', 1, { min: 0 }),
  };
  http.rejectUnknownKeys();
  // `use_database` naming another store than InfluxDB is judged with the storage below.
  const useDatabase = kotori.string('use_database');
  const otherStore = useDatabase !== undefined && useDatabase.toLowerCase() !== 'influxdb';
  ignoreKotoriKeys(kotori, notes, otherStore ? ['use_database'] : []);
  kotori.rejectUnknownKeys();

  const mqtt = reader('mqtt');
  const broker = readMqttKeys(mqtt, defaultMqtt());
  const mqttSettings: MainMqttSettings = {
    ...broker,
    embedded: mqtt.boolean('embedded', false),
    websocket_port: mqtt.integer('websocket_port', 0, { min: 0, max: 65535 }),
    password_file: resolveOptional(dir, mqtt.string('password_file')),
    acl_file: resolveOptional(dir, mqtt.string('acl_file')),
    allow_anonymous: mqtt.boolean('allow_anonymous', false),
  };
  mqttSettings.client_id = instanceClientId(
    mqttSettings.client_id,
    daqdSettings.instance_id,
    mqtt.has('client_id'),
  );
  const exposed = brokerExposureProblem(mqttSettings);
  if (exposed !== undefined) mqtt.problem('host', exposed);
  ignoreKotoriKeys(mqtt, notes);
  mqttSettings.ca_file = resolveOptional(dir, mqttSettings.ca_file);
  mqttSettings.cert_file = resolveOptional(dir, mqttSettings.cert_file);
  mqttSettings.key_file = resolveOptional(dir, mqttSettings.key_file);
  mqtt.rejectUnknownKeys();

  const hasInflux = byName.has('influxdb') || overrides.has('influxdb');
  let influxdb: InfluxSettings | undefined;
  /** `[influxdb] batch_size`, an alias of `[storage] batch_size` (decided below, with the backend). */
  let influxBatchSize: { value: number; reader: SectionReader } | undefined;
  if (hasInflux) {
    const influx = reader('influxdb');
    if (influx.has('batch_size')) {
      influxBatchSize = {
        value: influx.integer('batch_size', DEFAULT_BATCH_SIZE, { min: 1 }),
        reader: influx,
      };
    }
    const host = influx.string('host', '127.0.0.1');
    const influxPort = influx.integer('port', 8086, { min: 1, max: 65535 });
    const url = influx.string('url') ?? `http://${host.includes(':') ? `[${host}]` : host}:${influxPort}`;
    if (!/^https?:\/\/[^/]+/.test(url)) influx.problem('url', `'${url}' is not an http:// or https:// URL`);
    influxdb = {
      url: url.replace(/\/+$/, ''),
      username: influx.string('username'),
      password: influx.string('password'),
      token: influx.string('token'),
      flush_interval: influx.integer('flush_interval', 250, { min: 0 }),
      timeout: influx.integer('timeout', 10000, { min: 1 }),
    };
    ignoreKotoriKeys(influx, notes);
    influx.rejectUnknownKeys();
  }

  const storage = reader('storage');
  const explicitBackend = storage.has('backend');
  const backend = storage.choice(
    'backend',
    ['influxdb', 'sqlite'] as const,
    hasInflux ? 'influxdb' : 'sqlite',
  );
  if (backend === 'influxdb' && influxdb === undefined) {
    storage.problem('backend', "'influxdb' needs an [influxdb] section");
  }
  // A store daqd cannot write to ([cratedb], or Kotori's `use_database = cratedb`): without
  // [influxdb] and an explicit backend, the user expects readings there; never fall back silently.
  const unwritable: Array<{ name: string; reader: SectionReader; key?: string }> = ini.sections
    .filter((s) => UNWRITABLE_STORAGE[s.name] !== undefined)
    .map((s) => ({ name: UNWRITABLE_STORAGE[s.name] ?? s.name, reader: reader(s.name) }));
  if (otherStore) {
    unwritable.push({ name: `'${useDatabase}'`, reader: kotori, key: 'use_database' });
  }
  for (const store of unwritable) {
    if (!hasInflux && !explicitBackend) {
      problems.push(
        new ConfigError(
          `daqd cannot write to ${store.name}; add an [influxdb] section (InfluxDB 1.x), ` +
            'or set [storage] backend = sqlite for the embedded store',
          {
            file: store.reader.section.file,
            line: store.key === undefined ? store.reader.section.line : store.reader.lineOf(store.key),
            key: store.key === undefined ? store.reader.section.name : `kotori.${store.key}`,
          },
        ),
      );
    } else {
      notes.push(
        located(store.reader, store.key, `daqd cannot write to ${store.name}; readings go to ${backend}`),
      );
    }
  }
  // One batch size for every backend; Kotori's `[influxdb] batch_size` stands for it with InfluxDB.
  let batchSize = storage.integer('batch_size', DEFAULT_BATCH_SIZE, { min: 1 });
  if (influxBatchSize !== undefined) {
    if (storage.has('batch_size')) {
      notes.push(located(influxBatchSize.reader, 'batch_size', 'not used: [storage] batch_size wins'));
    } else if (backend !== 'influxdb') {
      notes.push(
        located(
          influxBatchSize.reader,
          'batch_size',
          `not used by the ${backend} store: set [storage] batch_size`,
        ),
      );
    } else {
      batchSize = influxBatchSize.value;
    }
  }
  const spoolMaxMb = storage.integer('spool_max_mb', 1024, { min: 0 });
  const maxOpenDatabases = storage.integer('max_open_databases', DEFAULT_MAX_OPEN_DATABASES, { min: 1 });
  storage.rejectUnknownKeys();
  const grafana = readGrafanaKeys(reader('grafana'), { dir, backend, influxdb }, notes);
  if (daqdSettings.instance_id) {
    for (const why of instanceWarnings(backend, mqttSettings.embedded)) {
      warnings.push(located(daqd, 'instance_id', why));
    }
  }

  return {
    settings: {
      file,
      include,
      daqd: daqdSettings,
      http: httpSettings,
      mqtt: mqttSettings,
      influxdb,
      storage: {
        backend,
        batch_size: batchSize,
        spool_max_mb: spoolMaxMb,
        max_open_databases: maxOpenDatabases,
      },
      grafana,
    },
    problems,
    notes,
    warnings,
    includeGlobs,
    includeWritten,
  };
}

function resolveOptional(dir: string, value: string | undefined): string | undefined {
  return value === undefined ? undefined : path.resolve(dir, value);
}
