import { ConfigError } from '../core/errors.js';
import { appTypeWarning, warnUnknownKeys } from './app-key-warnings.js';
import { type CompiledForwarder, readApp } from './app-section.js';
import { compileForwarder } from './forwarder-route.js';
import type { IniFile, IniSection } from './ini-file.js';
import { SectionReader } from './section-reader.js';
import type { RealmApp, Settings } from './settings.js';

const FORWARDER_ENTRY_POINT = 'kotori.io.protocol.forwarder:boot';

/** Kotori entry points daqd knows but does not provide: skipped with a note, not an error. */
const UNSUPPORTED_ENTRY_POINTS: Readonly<Record<string, string>> = {
  'kotori.firmware.service:boot': 'the firmware builder is not part of daqd',
};

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
      const warning = appTypeWarning(section, type);
      if (warning !== undefined) warnings.push(warning);
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
