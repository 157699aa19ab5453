import { ConfigError } from '../core/errors.js';
import type { IniEntry, IniSection } from './ini-file.js';
import { didYouMean } from './suggest.js';

/**
 * Reads typed values from one INI section and collects every problem as a `ConfigError`
 * located at `file:line: section.key`. A bad value yields the default so reading goes on.
 */
export class SectionReader {
  private readonly used = new Set<string>();

  constructor(
    readonly section: IniSection,
    private readonly problems: ConfigError[],
    /** Environment overrides for this section, key → value (from `DAQD_<SECTION>_<KEY>`). */
    private readonly overrides: ReadonlyMap<string, string> = new Map(),
  ) {}

  /** Records a problem about `key` (or the section when key is undefined). */
  problem(key: string | undefined, message: string): void {
    const entry = key === undefined ? undefined : this.section.entries.get(key);
    const fromEnv = key !== undefined && this.overrides.has(key);
    this.problems.push(
      new ConfigError(fromEnv ? `${message} (from $${envName(this.section.name, key)})` : message, {
        file: this.section.file,
        line: entry?.line ?? this.section.line,
        key: key === undefined ? this.section.name : `${this.section.name}.${key}`,
      }),
    );
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  /** The raw value (environment first), marking the key as known. */
  raw(key: string): string | undefined {
    this.used.add(key);
    const env = this.overrides.get(key);
    if (env !== undefined) return env;
    return this.section.entries.get(key)?.value;
  }

  string(key: string): string | undefined;
  string(key: string, fallback: string): string;
  string(key: string, fallback?: string): string | undefined {
    const value = this.raw(key);
    return value === undefined || value === '' ? fallback : value;
  }

  integer(key: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(key);
    if (value === undefined || value === '') return fallback;
    if (!/^[+-]?\d+$/.test(value)) {
      this.problem(key, `'${value}' is not a whole number`);
      return fallback;
    }
    const n = Number(value);
    if ((range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max)) {
      this.problem(key, `${n} is out of range (${range.min ?? '…'} to ${range.max ?? '…'})`);
      return fallback;
    }
    return n;
  }

  number(key: string, fallback: number, range: { min?: number } = {}): number {
    const value = this.raw(key);
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (!Number.isFinite(n)) {
      this.problem(key, `'${value}' is not a number`);
      return fallback;
    }
    if (range.min !== undefined && n < range.min) {
      this.problem(key, `${n} is below the minimum ${range.min}`);
      return fallback;
    }
    return n;
  }

  /** Booleans as configparser reads them: 1/yes/true/on and 0/no/false/off. */
  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key);
    if (value === undefined || value === '') return fallback;
    const lower = value.toLowerCase();
    if (['1', 'yes', 'true', 'on'].includes(lower)) return true;
    if (['0', 'no', 'false', 'off'].includes(lower)) return false;
    this.problem(key, `'${value}' is not a boolean (use true or false)`);
    return fallback;
  }

  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined || value === '') return fallback;
    if ((choices as readonly string[]).includes(value)) return value as T;
    this.problem(key, `'${value}' is not one of ${choices.join(', ')}`);
    return fallback;
  }

  /** Keys present in the file that no one asked for. */
  unusedKeys(): string[] {
    return [...this.section.entries.keys()].filter((key) => !this.used.has(key));
  }

  /** Reports each key of the file that no one asked for as unknown, naming a known key close to it. */
  rejectUnknownKeys(): void {
    for (const key of this.unusedKeys()) this.problem(key, `unknown key${didYouMean(key, this.used)}`);
  }

  /** The line of a key in the file, or the section's line. */
  lineOf(key: string): number {
    return (this.section.entries.get(key) as IniEntry | undefined)?.line ?? this.section.line;
  }
}

/** The environment variable that overrides `[section] key`: `DAQD_<SECTION>_<KEY>`. */
export function envName(section: string, key: string): string {
  return `DAQD_${section}_${key}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}
