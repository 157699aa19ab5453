import { ConfigError } from '../core/errors.js';

/** One `key = value` with the line it starts on. */
export interface IniEntry {
  value: string;
  line: number;
}

/** One `[section]` of an INI file. Keys are lower case, as Python's configparser stores them. */
export interface IniSection {
  name: string;
  file: string;
  line: number;
  entries: ReadonlyMap<string, IniEntry>;
}

/** A parsed INI file, sections in file order. */
export interface IniFile {
  file: string;
  sections: readonly IniSection[];
}

/**
 * Parses INI text the way Python's configparser (and so Kotori) reads it, keeping line numbers:
 * - `[section]` headers; `key = value` or `key: value` (the first `=` or `:` splits); keys lower-cased;
 * - whole-line comments starting with `;` or `#` (leading blanks allowed); no inline comments,
 *   because `#` is MQTT's wildcard (`mqtt_topics = hiveeyes/#`);
 * - an indented line continues the previous value (joined with a newline), as Kotori's
 *   multi-line `include =` and `transform =` use.
 * Why not the `ini` package: it has no continuation lines and reports no line numbers, and both are
 * needed to read Kotori's files and to say `file:line:` in every message.
 * Every problem is collected; parsing goes on after a bad line.
 */
export function parseIni(text: string, file: string): { ini: IniFile; problems: ConfigError[] } {
  const sections: IniSection[] = [];
  const problems: ConfigError[] = [];
  const seen = new Map<string, number>();
  let current: { name: string; line: number; entries: Map<string, IniEntry> } | undefined;
  let last: { key: string; entry: IniEntry } | undefined;
  const lines = text.split(/\r?\n/);

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    if (trimmed.startsWith(';') || trimmed.startsWith('#')) continue;

    if (/^\s/.test(raw) && last !== undefined) {
      last.entry.value = last.entry.value === '' ? trimmed : `${last.entry.value}\n${trimmed}`;
      continue;
    }
    last = undefined;

    if (trimmed.startsWith('[')) {
      const match = /^\[([^\]]+)\]$/.exec(trimmed);
      if (match === null) {
        problems.push(new ConfigError(`malformed section header '${trimmed}'`, { file, line: lineNo }));
        current = undefined;
        continue;
      }
      const name = (match[1] ?? '').trim();
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        problems.push(
          new ConfigError(`section [${name}] appears twice (first on line ${earlier})`, {
            file,
            line: lineNo,
          }),
        );
      }
      seen.set(name, lineNo);
      current = { name, line: lineNo, entries: new Map() };
      sections.push({ name, file, line: lineNo, entries: current.entries });
      continue;
    }

    const split = /[=:]/.exec(raw);
    if (split === null) {
      problems.push(new ConfigError(`expected 'key = value', got '${trimmed}'`, { file, line: lineNo }));
      continue;
    }
    const key = raw.slice(0, split.index).trim().toLowerCase();
    const value = raw.slice(split.index + 1).trim();
    if (current === undefined) {
      problems.push(new ConfigError(`'${key}' stands before any [section]`, { file, line: lineNo }));
      continue;
    }
    if (key === '') {
      problems.push(new ConfigError(`missing key before '${split[0]}'`, { file, line: lineNo }));
      continue;
    }
    const before = current.entries.get(key);
    if (before !== undefined) {
      problems.push(
        new ConfigError(`key appears twice in [${current.name}] (first on line ${before.line})`, {
          file,
          line: lineNo,
          key: `${current.name}.${key}`,
        }),
      );
    }
    const entry: IniEntry = { value, line: lineNo };
    current.entries.set(key, entry);
    last = { key, entry };
  }
  return { ini: { file, sections }, problems };
}

/** Splits a list value on commas and newlines, trimming and dropping empty items. */
export function splitList(value: string): string[] {
  return value
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
