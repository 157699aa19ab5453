import { loadMainSettings, loadRealmApps } from '../config/load.js';
import type { ConfigError } from '../core/errors.js';

/** EX_CONFIG from sysexits.h: the configuration is invalid. */
export const EXIT_CONFIG = 78;

/** What `check` found: every problem of the main file and every enabled app. */
export interface CheckReport {
  problems: ConfigError[];
  notes: string[];
  /** Likely mistakes that stop nothing: includes that match no file, unknown app keys, no realm. */
  warnings: string[];
  realms: string[];
}

/** Validates the main file and every app it includes, collecting every problem. */
export async function checkConfiguration(file: string, env: NodeJS.ProcessEnv): Promise<CheckReport> {
  const main = await loadMainSettings(file, env);
  const apps = await loadRealmApps(main.settings);
  return {
    problems: [...main.problems, ...apps.problems],
    notes: [...main.notes, ...apps.notes, `data_dir: ${main.settings.daqd.data_dir}`],
    warnings: [...main.warnings, ...apps.warnings],
    realms: apps.apps.map((a) => a.realm),
  };
}

/** `daqd check`: prints each problem as `file:line: section.key: problem`; 0 when clean, 78 otherwise. */
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
  if (report.problems.length > 0) {
    err(`${file}: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'} found`);
    return EXIT_CONFIG;
  }
  out(
    `${file}: configuration OK; realms: ${report.realms.length === 0 ? '(none)' : report.realms.join(', ')}`,
  );
  return 0;
}
