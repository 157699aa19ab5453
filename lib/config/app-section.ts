import { topicToTopology } from '../acquire/decode/topic.js';
import type { ConfigError } from '../core/errors.js';
import { errorMessage } from '../core/errors.js';
import { APP_KEYS } from './app-keys.js';
import { readCsvFields } from './csv-fields-key.js';
import { readDecoder } from './decoder-key.js';
import { type ForwarderRoute, ingestRoutes } from './forwarder-route.js';
import { type IniSection, splitList } from './ini-file.js';
import { readLimitKeys } from './limit-keys.js';
import { isValidTimeZone, readMqttKeys } from './main-settings.js';
import { readNaming } from './naming-keys.js';
import { readPoll } from './poll-keys.js';
import { SectionReader } from './section-reader.js';
import {
  DEFAULT_ISEMS_TIMEZONE,
  DEFAULT_TAG_FIELDS,
  type Forwarder,
  type RealmApp,
  type Settings,
} from './settings.js';
import { readStrategy } from './strategy-keys.js';
import { topicFilterProblem } from './topic-filter.js';

/** A forwarder section and its route, compiled when the section is read. */
export interface CompiledForwarder {
  forwarder: Forwarder;
  route: ForwarderRoute;
}

/**
 * Reads one acquisition app section of `realm` (its broker from `[<realm>:mqtt]` in `byName`, its HTTP
 * routes from the realm's `forwarders`), recording problems; undefined when no strategy could be chosen.
 */
export function readApp(
  reader: SectionReader,
  realm: string,
  settings: Settings,
  byName: ReadonlyMap<string, IniSection>,
  forwarders: readonly CompiledForwarder[],
  problems: ConfigError[],
): RealmApp | undefined {
  const section = reader.section;
  const type = reader.string('type');
  const entryPoint = reader.string('application') ?? reader.string('app_factory');
  const { strategy, topicTemplate, templateText } = readStrategy(reader, type, entryPoint);

  // A template subscribes to what it matches (`sensors/{node}/{field}` → `sensors/+/+`).
  const topics = splitList(reader.string('mqtt_topics', topicTemplate?.filter ?? `${realm}/#`));
  for (const topic of topics) {
    const problem = topicFilterProblem(topic);
    if (problem !== undefined) reader.problem('mqtt_topics', `'${topic}': ${problem}`);
  }

  const {
    embedded: _embedded,
    websocket_port: _ws,
    password_file: _pw,
    acl_file: _acl,
    allow_anonymous: _anonymous,
    ...base
  } = settings.mqtt;
  const brokerSection = byName.get(`${realm}:mqtt`);
  let mqtt = base;
  if (brokerSection !== undefined) {
    const brokerReader = new SectionReader(brokerSection, problems);
    mqtt = readMqttKeys(brokerReader, base);
    brokerReader.rejectUnknownKeys();
  }

  const allowed = reader.string('direct_channel_allowed_networks');
  const tags = reader.string('tags');
  const group = reader.string('mqtt_shared_group');
  if (group !== undefined && !/^[^/+#]+$/.test(group)) {
    reader.problem('mqtt_shared_group', `'${group}' may not contain '/', '+' or '#'`);
  }
  const httpApi = reader.boolean('http_api', false);
  // A template maps topics, not paths: its nodes have no HTTP address to post to or export from. Its
  // `http_api` serves what needs none, the realm's `latest` overview.
  if (templateText !== undefined && forwarders.length > 0) {
    reader.problem(
      'topic_template',
      'an app with a topic template has no HTTP addressing (a template maps topics, not paths): no forwarders',
    );
  }
  const isemsApi = reader.boolean('isems_api', false);
  const isemsZone = reader.string('isems_timezone', DEFAULT_ISEMS_TIMEZONE);
  if (!isValidTimeZone(isemsZone)) {
    reader.problem('isems_timezone', `'${isemsZone}' is not a known IANA time zone`);
  }
  const naming = readNaming(reader, topicTemplate, templateText !== undefined);
  const decoder = readDecoder(reader);
  const csvFields = readCsvFields(reader, templateText !== undefined);
  const ingestForwarder = forwarders.some((f) => f.route.role === 'ingest');
  const exportForwarder = forwarders.some((f) => f.route.role === 'export');
  const app: RealmApp = {
    name: section.name,
    file: section.file,
    line: section.line,
    realm,
    strategy: strategy ?? 'mqttkit',
    topic_template: topicTemplate,
    database: naming.database,
    measurement: naming.measurement,
    decoder,
    csv_fields: csvFields,
    mqtt_topics: topics,
    mqtt,
    mqtt_shared_group: group,
    tags: tags === undefined ? DEFAULT_TAG_FIELDS : splitList(tags),
    direct_channel_allowed_networks: allowed === undefined ? undefined : splitList(allowed),
    ...readLimitKeys(reader),
    http_ingest: (httpApi && templateText === undefined) || ingestForwarder,
    http_export: httpApi || exportForwarder,
    hide_inactive_after_days: reader.number('hide_inactive_after_days', 30, { min: 0 }),
    isems_api: isemsApi,
    isems_timezone: isValidTimeZone(isemsZone) ? isemsZone : DEFAULT_ISEMS_TIMEZONE,
    metrics_logger_interval: reader.number('metrics_logger_interval', settings.daqd.metrics_logger_interval, {
      min: 0,
    }),
    forwarders: forwarders.map((f) => f.forwarder),
    // With ingest forwarders, Kotori offers exactly the routes they name; otherwise (`http_api = true`)
    // the standard ingest route, which is Kotori's usual forwarder.
    ingest_routes: ingestRoutes(
      forwarders.map((f) => f.route),
      { section: section.name, file: section.file, line: section.line, realm },
    ),
  };
  if (strategy !== undefined) {
    app.poll = readPoll(reader, (sample) => {
      try {
        topicToTopology(sample, app);
        return undefined;
      } catch (err) {
        return errorMessage(err);
      }
    });
  }
  for (const key of APP_KEYS) reader.raw(key);
  return strategy === undefined ? undefined : app;
}
