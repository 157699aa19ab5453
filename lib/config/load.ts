import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { ConfigError, errorMessage } from '../core/errors.js';
import { httpFileProblems } from './http-access-keys.js';
import { type IniFile, parseIni } from './ini-file.js';
import { type MainSettingsResult, readMainSettings } from './main-settings.js';
import { type RealmAppsResult, readRealmApps } from './realm-apps.js';
import type { Settings } from './settings.js';

/** Reads and parses one INI file; a missing or unreadable file is a problem, not a throw. */
export async function readIniFile(file: string): Promise<{ ini: IniFile; problems: ConfigError[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (or a dangling symlink)' : errorMessage(err);
    return { ini: { file, sections: [] }, problems: [new ConfigError(`cannot read: ${why}`, { file })] };
  }
  return parseIni(text, file);
}

/**
 * Reads and validates the main file, and finds where its relative include globs point: beside the
 * main file (daqd's rule) or, when nothing matches there, in the working directory (Kotori's rule:
 * its `etc/development.ini` includes `etc/examples/*.ini` from the repository root).
 */
export async function loadMainSettings(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<MainSettingsResult> {
  const absolute = path.resolve(cwd, file);
  const { ini, problems } = await readIniFile(absolute);
  const result = readMainSettings(ini, env);
  // Kotori's working-directory rule is for globs written in the file, not for daqd's default.
  const mainDir = path.dirname(absolute);
  const includes = await locateIncludes(result.includeGlobs, mainDir, result.includeWritten ? cwd : mainDir);
  return {
    ...result,
    settings: { ...result.settings, include: includes.include },
    problems: [...problems, ...result.problems, ...(await httpFileProblems(result.settings.http, absolute))],
    notes: [...result.notes, ...includes.notes],
    warnings: [...result.warnings, ...includes.warnings],
  };
}

/**
 * Absolute include globs. An absolute glob stays as it is. A relative one is read beside the main file
 * when it matches a file there or its folder exists there (an empty `apps-enabled/` is still daqd's
 * layout, and apps linked later are found); otherwise in the working directory when it matches there;
 * otherwise beside the main file. Says which matched, and warns of a glob that matches nothing.
 */
export async function locateIncludes(
  globs: readonly string[],
  mainDir: string,
  cwd: string,
): Promise<{ include: string[]; notes: string[]; warnings: string[] }> {
  const include: string[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  const matches = async (glob: string) => (await resolveIncludes([glob])).length > 0;
  for (const glob of globs) {
    if (path.isAbsolute(glob)) {
      include.push(glob);
      if (!(await matches(glob))) warnings.push(`include '${glob}' matches no file`);
      continue;
    }
    const beside = path.join(mainDir, glob);
    const inCwd = path.join(cwd, glob);
    if (await matches(beside)) {
      include.push(beside);
      notes.push(`include '${glob}': matched beside the main file (${beside})`);
      continue;
    }
    const folderBeside = await stat(splitGlob(beside).base).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!folderBeside && inCwd !== beside && (await matches(inCwd))) {
      include.push(inCwd);
      notes.push(`include '${glob}': matched in the working directory (${inCwd}), as Kotori reads it`);
      continue;
    }
    include.push(beside);
    warnings.push(
      folderBeside || inCwd === beside
        ? `include '${glob}' matches no file (${beside})`
        : `include '${glob}' matches no file, neither beside the main file (${beside}) nor in the working directory (${inCwd})`,
    );
  }
  return { include, notes, warnings };
}

/** The folder part of a glob that holds no pattern characters, and the pattern below it. */
export function splitGlob(pattern: string): { base: string; glob: string } {
  const scan = picomatch.scan(pattern);
  if (!scan.isGlob) return { base: path.dirname(pattern), glob: path.basename(pattern) };
  return { base: scan.base === '' ? '.' : scan.base, glob: scan.glob };
}

/**
 * Files matched by the include globs: in the order of the globs (as Kotori reads them), each glob's
 * matches sorted, without duplicates. Symlinks are kept as their link path.
 */
export async function resolveIncludes(include: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of include) {
    const { base, glob: rest } = splitGlob(pattern);
    const matches = await glob(rest, {
      cwd: base,
      absolute: true,
      onlyFiles: false,
      followSymbolicLinks: true,
    });
    for (const match of matches.map((m) => path.normalize(m)).sort()) {
      if (!found.includes(match)) found.push(match);
    }
  }
  return found;
}

/** Realm apps read from the include files (and the main file, which may hold app sections too). */
export interface LoadedApps extends RealmAppsResult {
  /** The app files that were read. */
  files: string[];
  /** Files that could not be read or parsed at all. */
  brokenFiles: Set<string>;
}

/** Reads every realm app named by the main settings. Never throws for a bad app file. */
export async function loadRealmApps(settings: Settings): Promise<LoadedApps> {
  const files = (await resolveIncludes(settings.include)).filter((f) => f !== settings.file);
  const inis: IniFile[] = [];
  const problems: ConfigError[] = [];
  const brokenFiles = new Set<string>();
  const main = await readIniFile(settings.file);
  inis.push(main.ini);
  for (const file of files) {
    const { ini, problems: parseProblems } = await readIniFile(file);
    if (parseProblems.length > 0) brokenFiles.add(file);
    problems.push(...parseProblems);
    inis.push(ini);
  }
  const result = readRealmApps(inis, settings);
  // An app from a file with a broken line is not trusted: its realm keeps its last good state.
  const apps = result.apps.filter((app) => !brokenFiles.has(app.file));
  for (const app of result.apps) if (brokenFiles.has(app.file)) result.invalidRealms.add(app.realm);
  const warnings = [...result.warnings];
  if (apps.length === 0 && result.invalidRealms.size === 0) {
    const where = settings.include.map((glob) => `'${glob}'`).join(', ');
    warnings.push(
      `no realm configured: no enabled app in ${where || 'the main file'}; daqd acquires nothing`,
    );
  }
  return { ...result, apps, warnings, problems: [...problems, ...result.problems], files, brokenFiles };
}
