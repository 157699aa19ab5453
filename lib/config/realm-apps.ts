import { appDecoderProblem } from '../acquire/decode/app-decoder.js';
import { parseCsvFields } from '../acquire/decode/csv-lines.js';
import type { CsvColumn } from '../acquire/decode/decoder.js';
import {
  STRATEGIES,
  strategyEntryPoints,
  strategyForEntryPoint,
  strategyForVendor,
  strategyVendors,
} from '../acquire/decode/strategy/registry.js';
import {
  parseTopicTemplate,
  type TopicTemplate,
  tagNames,
} from '../acquire/decode/strategy/topic-template.js';
import { type NameTemplate, parseNameTemplate } from '../acquire/sanitize/storage-address.js';
import { ConfigError } from '../core/errors.js';
import { compileForwarder, type ForwarderRoute, ingestRoutes } from './forwarder-route.js';
import { type IniFile, type IniSection, splitList } from './ini-file.js';
import { KOTORI_APP_KEYS } from './kotori-keys.js';
import { readMqttKeys } from './main-settings.js';
import { SectionReader } from './section-reader.js';
import { DEFAULT_TAG_FIELDS, type Forwarder, type RealmApp, type Settings } from './settings.js';
import { closestName, didYouMean } from './suggest.js';

const FORWARDER_ENTRY_POINT = 'kotori.io.protocol.forwarder:boot';

/** Kotori entry points daqd knows but does not provide: skipped with a note, not an error. */
const UNSUPPORTED_ENTRY_POINTS: Readonly<Record<string, string>> = {
  'kotori.firmware.service:boot': 'the firmware builder is not part of daqd',
};

/** Keys of an app section that daqd reads; any other key is Kotori's or the user's and ignored. */
const APP_KEYS = [
  'enable',
  'type',
  'realm',
  'mqtt_topics',
  'application',
  'app_factory',
  'tags',
  'direct_channel_allowed_networks',
  'http_api',
  'mqtt_shared_group',
  'hide_inactive_after_days',
  'metrics_logger_interval',
  'topic_template',
  'database',
  'measurement',
  'csv_fields',
  'decoder',
];

/** Keys of a forwarder section that daqd reads. */
const FORWARDER_KEYS = ['source', 'target'];

/** The `type` values that make a section an app. */
const APP_TYPES = ['application', 'vendor'];

/** What reading the realm apps produced. */
export interface RealmAppsResult {
  /** Valid, enabled apps, one per realm. */
  apps: RealmApp[];
  /** Realms that have an app section which is invalid now (keep their last good state running). */
  invalidRealms: Set<string>;
  problems: ConfigError[];
  notes: string[];
  /** Things that are likely mistakes but stop nothing: unknown app keys, a misspelled `type`. */
  warnings: string[];
}

/** A forwarder section and its route, compiled when the section is read. */
interface CompiledForwarder {
  forwarder: Forwarder;
  route: ForwarderRoute;
}

interface Candidate {
  section: IniSection;
  realm: string;
}

/**
 * Finds every app in the given files: each section with `type = application` or `type = vendor`.
 * An invalid app is reported and left out; the others are returned. One channel per realm: a second
 * acquisition app for the same realm is a problem of that second app.
 */
export function readRealmApps(files: readonly IniFile[], settings: Settings): RealmAppsResult {
  const problems: ConfigError[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const invalidRealms = new Set<string>();
  const sections = files.flatMap((f) => f.sections);
  const byName = new Map<string, IniSection>();
  for (const s of sections) if (!byName.has(s.name)) byName.set(s.name, s);

  const acquisition: Candidate[] = [];
  const forwarders = new Map<string, CompiledForwarder[]>();
  /** Realms with an invalid forwarder section. */
  const brokenForwarders = new Set<string>();

  for (const section of sections) {
    const type = section.entries.get('type')?.value;
    if (type !== 'application' && type !== 'vendor') {
      // Kotori compares `type` exactly too: a near miss silently drops the app in both.
      const lower = type?.toLowerCase();
      // One edit from 'vendor' (not 'sensor'), two from 'application'.
      const meant =
        lower === undefined || APP_TYPES.includes(lower)
          ? lower
          : (closestName(lower, ['application'], 2) ?? closestName(lower, ['vendor'], 1));
      if (type !== undefined && meant !== undefined) {
        warnings.push(
          located(
            section,
            'type',
            `'${type}' is neither 'application' nor 'vendor', so this section is not read as an app (did you mean '${meant}'?)`,
          ),
        );
      }
      continue;
    }
    const local: ConfigError[] = [];
    const reader = new SectionReader(section, local);
    const realm = reader.string('realm') ?? '';
    if (!reader.boolean('enable', true)) {
      notes.push(`${section.file}:${section.line}: app [${section.name}] is disabled (enable = false)`);
      continue;
    }
    const entryPoint = reader.string('application') ?? reader.string('app_factory');
    if (entryPoint !== undefined && UNSUPPORTED_ENTRY_POINTS[entryPoint] !== undefined) {
      notes.push(
        `${section.file}:${section.line}: app [${section.name}] uses '${entryPoint}': ${UNSUPPORTED_ENTRY_POINTS[entryPoint]}; skipped`,
      );
      continue;
    }
    if (realm === '') {
      reader.problem('realm', 'missing: every app needs a realm');
    } else if (!/^[A-Za-z0-9_.-]+$/.test(realm)) {
      reader.problem('realm', `'${realm}' may use only letters, digits, '_', '.' and '-'`);
    }
    if (entryPoint === FORWARDER_ENTRY_POINT) {
      const source = reader.string('source');
      const target = reader.string('target');
      if (source === undefined) reader.problem('source', 'missing: a forwarder needs a source');
      if (target === undefined) reader.problem('target', 'missing: a forwarder needs a target');
      warnUnknownKeys(reader, warnings);
      let compiled: CompiledForwarder | undefined;
      if (local.length === 0 && source !== undefined && target !== undefined) {
        const forwarder = { section: section.name, file: section.file, line: section.line, source, target };
        try {
          const route = compileForwarder(forwarder, (key) => section.entries.get(key)?.line ?? section.line);
          compiled = { forwarder, route };
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          local.push(err);
        }
      }
      if (compiled !== undefined) {
        const list = forwarders.get(realm) ?? [];
        list.push(compiled);
        forwarders.set(realm, list);
      } else {
        // An invalid forwarder makes its realm's HTTP routes uncertain: the realm's app is invalid (skipped,
        // or its last good state kept on reload).
        if (realm !== '') {
          invalidRealms.add(realm);
          brokenForwarders.add(realm);
        }
      }
      problems.push(...local);
      continue;
    }
    if (realm === '') {
      invalidRealms.add(section.name);
    }
    problems.push(...local);
    if (local.length === 0) acquisition.push({ section, realm });
    else invalidRealms.add(realm || section.name);
  }

  const apps: RealmApp[] = [];
  const taken = new Map<string, IniSection>();
  for (const { section, realm } of acquisition) {
    // Its forwarder is invalid (reported above): the app is too.
    if (brokenForwarders.has(realm)) continue;
    const local: ConfigError[] = [];
    const reader = new SectionReader(section, local);
    const first = taken.get(realm);
    if (first !== undefined) {
      reader.problem(
        'realm',
        `realm '${realm}' already has an app ([${first.name}] in ${first.file}:${first.line}); one app per realm`,
      );
      problems.push(...local);
      continue;
    }
    const app = readApp(reader, realm, settings, byName, forwarders.get(realm) ?? [], local);
    warnUnknownKeys(reader, warnings);
    problems.push(...local);
    if (app === undefined || local.length > 0) {
      invalidRealms.add(realm);
      continue;
    }
    taken.set(realm, section);
    apps.push(app);
  }

  for (const [realm, list] of forwarders) {
    if (!taken.has(realm) && !invalidRealms.has(realm)) {
      for (const { forwarder: f } of list) {
        problems.push(
          new ConfigError(`forwarder for realm '${realm}', but no app acquires that realm`, {
            file: f.file,
            line: f.line,
            key: `${f.section}.realm`,
          }),
        );
      }
    }
  }
  problems.sort((a, b) => (a.file === b.file ? (a.line ?? 0) - (b.line ?? 0) : a.file < b.file ? -1 : 1));
  warnings.sort(byLocation);
  return { apps, invalidRealms, problems, notes, warnings };
}

/** Orders `file:line: …` lines by file, then line. */
function byLocation(a: string, b: string): number {
  const [, fileA = '', lineA = '0'] = /^(.*?):(\d+):/.exec(a) ?? [];
  const [, fileB = '', lineB = '0'] = /^(.*?):(\d+):/.exec(b) ?? [];
  return fileA === fileB ? Number(lineA) - Number(lineB) : fileA < fileB ? -1 : 1;
}

/** `file:line: section.key: message`, the form of every configuration message. */
function located(section: IniSection, key: string, message: string): string {
  const line = section.entries.get(key)?.line ?? section.line;
  return new ConfigError(message, { file: section.file, line, key: `${section.name}.${key}` }).format();
}

/**
 * Warns of each key of an app section that neither daqd nor Kotori reads, naming a close key daqd
 * reads (`mqtt_topic` → `mqtt_topics`). Kotori's own app keys stay silent.
 */
function warnUnknownKeys(reader: SectionReader, warnings: string[]): void {
  const known = [...APP_KEYS, ...FORWARDER_KEYS];
  for (const key of reader.section.entries.keys()) {
    if (known.includes(key) || KOTORI_APP_KEYS.includes(key)) continue;
    warnings.push(located(reader.section, key, `unknown key, ignored${didYouMean(key, known)}`));
  }
}

function readApp(
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
  // The strategy registry (acquire/decode/strategy/registry.ts) knows the names and entry points.
  let strategy: string | undefined;
  const vendorStrategy = type === 'vendor' ? strategyForVendor(section.name) : undefined;
  const templateText = reader.string('topic_template');
  let topicTemplate: TopicTemplate | undefined;
  if (templateText !== undefined) {
    // A topic template is a strategy of its own (acquire/decode/strategy/template.ts).
    strategy = 'template';
    const compiled = parseTopicTemplate(templateText);
    if ('problem' in compiled) reader.problem('topic_template', compiled.problem);
    else topicTemplate = compiled.template;
    if (entryPoint !== undefined) {
      reader.problem(
        reader.has('application') ? 'application' : 'app_factory',
        `'${entryPoint}' and topic_template both name the topic layout: keep one`,
      );
    }
  } else if (entryPoint !== undefined) {
    strategy = strategyForEntryPoint(entryPoint)?.name;
    if (strategy === undefined) {
      reader.problem(
        reader.has('application') ? 'application' : 'app_factory',
        `unknown entry point '${entryPoint}' (known: ${strategyEntryPoints().join(', ')})`,
      );
    }
  } else if (vendorStrategy !== undefined) {
    strategy = vendorStrategy.name;
  } else {
    const names = STRATEGIES.filter((s) => s.selectedBy === undefined).map((s) => s.name);
    const choice = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]} (or set topic_template)`;
    reader.problem(
      'application',
      type === 'vendor'
        ? `unknown vendor [${section.name}] (known: ${strategyVendors().join(', ')}); name a strategy with application = ${choice}`
        : `missing: name the strategy with application = ${choice}`,
    );
  }

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
  if (templateText !== undefined && (httpApi || forwarders.length > 0)) {
    reader.problem(
      httpApi ? 'http_api' : 'topic_template',
      'an app with a topic template has no HTTP addressing (a template maps topics, not paths): no http_api, no forwarders',
    );
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
    http_ingest: httpApi || ingestForwarder,
    http_export: httpApi || exportForwarder,
    hide_inactive_after_days: reader.number('hide_inactive_after_days', 30, { min: 0 }),
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
  for (const key of APP_KEYS) reader.raw(key);
  return strategy === undefined ? undefined : app;
}

/**
 * The naming templates of an app (`database = …`, `measurement = …`). Only apps with a topic template
 * take them: they may use `{realm}`, `{node}`, `{field}`, `{network}`/`{gateway}` when the template has
 * them, and its tag parts. Elsewhere `database` stays the Kotori vendor key it was (ignored) and
 * `measurement` is a problem, so that nobody believes an mqttkit or basic app's names changed.
 */
function readNaming(
  reader: SectionReader,
  template: TopicTemplate | undefined,
  hasTemplate: boolean,
): { database?: NameTemplate | undefined; measurement?: NameTemplate | undefined } {
  if (!hasTemplate) {
    if (reader.has('measurement')) {
      reader.problem('measurement', 'only an app with a topic_template takes a naming template');
    }
    return {};
  }
  if (template === undefined) return {};
  const wan = template.names.includes('network') ? ['network', 'gateway'] : [];
  const names = ['realm', ...wan, 'node', 'field', ...tagNames(template.names)];
  const naming: { database?: NameTemplate; measurement?: NameTemplate } = {};
  for (const key of ['database', 'measurement'] as const) {
    const text = reader.string(key);
    if (text === undefined) continue;
    const compiled = parseNameTemplate(text, names);
    if ('problem' in compiled) reader.problem(key, compiled.problem);
    else naming[key] = compiled.template;
  }
  return naming;
}

/**
 * `csv_fields = …` (CSV lines over MQTT, `acquire/decode/csv-lines.ts`): a preset name or a column list.
 * Template apps only, so that mqttkit and basic slots stay decoded as in Kotori.
 */
function readCsvFields(reader: SectionReader, hasTemplate: boolean): CsvColumn[] | undefined {
  const text = reader.string('csv_fields');
  if (text === undefined) return undefined;
  if (!hasTemplate) {
    reader.problem('csv_fields', 'only an app with a topic_template takes csv_fields');
    return undefined;
  }
  if (reader.has('decoder')) {
    reader.problem('csv_fields', 'csv_fields and decoder both say how payloads are read: keep one');
    return undefined;
  }
  const parsed = parseCsvFields(text);
  if ('problem' in parsed) {
    reader.problem('csv_fields', parsed.problem);
    return undefined;
  }
  return parsed.columns;
}

/**
 * `decoder = <name>`: a decoder of the registry (`acquire/decode/registry.ts`) that reads MQTT payloads
 * (`acquire/decode/app-decoder.ts`); an unknown name is a problem naming the known ones.
 */
function readDecoder(reader: SectionReader): string | undefined {
  const name = reader.string('decoder');
  if (name === undefined) return undefined;
  const wrong = appDecoderProblem(name);
  if (wrong === undefined) return name;
  reader.problem(
    'decoder',
    `${wrong.problem} (known: ${wrong.known.join(', ')})${didYouMean(name, wrong.known)}`,
  );
  return undefined;
}

/** Why an MQTT topic filter is invalid (MQTT 3.1.1 §4.7), or undefined when it is fine. */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter === '') return 'empty topic filter';
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] ?? '';
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) {
      return "'#' must be a whole level and the last one";
    }
    if (level.includes('+') && level !== '+') return "'+' must be a whole level";
  }
  return undefined;
}
