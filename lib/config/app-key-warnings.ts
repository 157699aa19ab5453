import { ConfigError } from '../core/errors.js';
import { APP_KEYS, FORWARDER_KEYS } from './app-keys.js';
import type { IniSection } from './ini-file.js';
import { KOTORI_APP_KEYS } from './kotori-keys.js';
import type { SectionReader } from './section-reader.js';
import { closestName, didYouMean } from './suggest.js';

/** The `type` values that make a section an app. */
const APP_TYPES = ['application', 'vendor'];

/**
 * The warning for a section whose `type` is a near miss of `application` or `vendor` (so it is not read
 * as an app), or undefined when `type` is unset or not close to either.
 */
export function appTypeWarning(section: IniSection, type: string | undefined): string | undefined {
  // Kotori compares `type` exactly too: a near miss silently drops the app in both.
  const lower = type?.toLowerCase();
  // One edit from 'vendor' (not 'sensor'), two from 'application'.
  const meant =
    lower === undefined || APP_TYPES.includes(lower)
      ? lower
      : (closestName(lower, ['application'], 2) ?? closestName(lower, ['vendor'], 1));
  if (type === undefined || meant === undefined) return undefined;
  return located(
    section,
    'type',
    `'${type}' is neither 'application' nor 'vendor', so this section is not read as an app (did you mean '${meant}'?)`,
  );
}

/**
 * Warns of each key of an app section that neither daqd nor Kotori reads, naming a close key daqd
 * reads (`mqtt_topic` → `mqtt_topics`). Kotori's own app keys stay silent.
 */
export function warnUnknownKeys(reader: SectionReader, warnings: string[]): void {
  const known = [...APP_KEYS, ...FORWARDER_KEYS];
  for (const key of reader.section.entries.keys()) {
    if (known.includes(key) || KOTORI_APP_KEYS.includes(key)) continue;
    warnings.push(located(reader.section, key, `unknown key, ignored${didYouMean(key, known)}`));
  }
}

/** `file:line: section.key: message`, the form of every configuration message. */
function located(section: IniSection, key: string, message: string): string {
  const line = section.entries.get(key)?.line ?? section.line;
  return new ConfigError(message, { file: section.file, line, key: `${section.name}.${key}` }).format();
}
