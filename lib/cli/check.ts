import { loadMainSettings, loadRealmApps } from '../config/load.js';
import type { ConfigError } from '../core/errors.js';
import { silentLog } from '../core/log.js';

/** EX_CONFIG from sysexits.h: the configuration is invalid. */
export const EXIT_CONFIG = 78;
/** EX_DATAERR from sysexits.h: the configuration is valid, but the store holds damaged files. */
export const EXIT_DATA = 65;

/** What `check` found: every problem of the main file and every enabled app, and damage in the store. */
export interface CheckReport {
  problems: ConfigError[];
  notes: string[];
  /** Likely mistakes that stop nothing: includes that match no file, unknown app keys, no realm. */
  warnings: string[];
  realms: string[];
  /** Damaged files of the embedded store, one line each (`file: corrupt: …`). */
  damage: string[];
}

/** Validates the main file and every app it includes, collecting every problem; checks the embedded store. */
export async function checkConfiguration(file: string, env: NodeJS.ProcessEnv): Promise<CheckReport> {
  const main = await loadMainSettings(file, env);
  const apps = await loadRealmApps(main.settings);
  let damage: string[] = [];
  if (main.settings.storage.backend === 'sqlite') {
    // Loaded only here: a server with InfluxDB needs no SQLite module.
    const { SqliteSink } = await import('../acquire/sink/sqlite.js');
    damage = await new SqliteSink({ dataDir: main.settings.daqd.data_dir, log: silentLog() }).check();
  }
  return {
    problems: [...main.problems, ...apps.problems],
    notes: [...main.notes, ...apps.notes, `data_dir: ${main.settings.daqd.data_dir}`],
    warnings: [...main.warnings, ...apps.warnings],
    realms: apps.apps.map((a) => a.realm),
    damage,
  };
}

/**
 * `daqd check`: prints each problem as `file:line: section.key: problem` and each damaged store file as
 * `file: corrupt: …`; 0 when clean, 78 for configuration problems, else 65 for damage.
 */
export async function runCheck(
  file: string,
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const report = await checkConfiguration(file, env);
  for (const note of report.notes) out(note);
  for (const warning of report.warnings) out(`warning: ${warning}`);
  for (const problem of report.problems) err(problem.format());
  for (const line of report.damage) err(line);
  if (report.problems.length > 0) {
    err(`${file}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found`);
    return EXIT_CONFIG;
  }
  if (report.damage.length > 0) {
    err(
      `${file}: configuration OK, but ${report.damage.length} damaged database file${report.damage.length === 1 ? '' : 's'} ` +
        'in the store: repair or replace (move aside) each; daqd keeps their readings until then',
    );
    return EXIT_DATA;
  }
  out(
    `${file}: configuration OK; realms: ${report.realms.length === 0 ? '(none)' : report.realms.join(', ')}`,
  );
  return 0;
}
