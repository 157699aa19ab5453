import { lstat, mkdir, readdir, readlink, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { loadMainSettings, splitGlob } from '../config/load.js';
import { EXIT_USAGE } from './command-settings.js';

/** EX_NOINPUT: no such app. */
const EXIT_NOINPUT = 66;

/** The two app folders: enabled apps are symlinks into the available ones (like a2ensite). */
export interface AppFolders {
  available: string;
  enabled: string;
}

/**
 * `apps-enabled` is the folder of the first include glob whose folder is named `apps-enabled` (Kotori's
 * `/etc/kotori/apps-enabled/*.ini` among its `conf.d` globs), else of the first include glob;
 * `apps-available` stands beside it.
 */
export async function appFolders(configFile: string, env: NodeJS.ProcessEnv): Promise<AppFolders> {
  const { settings } = await loadMainSettings(configFile, env);
  const folders = settings.include.map((glob) => path.resolve(splitGlob(glob).base));
  const enabled =
    folders.find((folder) => path.basename(folder) === 'apps-enabled') ??
    folders[0] ??
    path.join(path.dirname(settings.file), 'apps-enabled');
  return { enabled, available: path.join(path.dirname(enabled), 'apps-available') };
}

/** Why NAME is refused as an app name, or undefined when it is fine. */
export function appNameProblem(name: string): string | undefined {
  if (name === '') return 'an app name is needed';
  if (name.includes('/') || name.includes('\\')) return `'${name}' must be a plain name, without '/'`;
  if (name.includes('..') || name.startsWith('.')) return `'${name}' must not start with '.' or contain '..'`;
  return undefined;
}

function fileName(name: string): string {
  return name.endsWith('.ini') ? name : `${name}.ini`;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** `daqd apps list|enable NAME|disable NAME`. */
export async function runApps(
  args: readonly string[],
  folders: AppFolders,
  out: (line: string) => void,
  err: (line: string) => void,
): Promise<number> {
  const [action, name, ...rest] = args;
  if (rest.length > 0) {
    err(`daqd apps: too many arguments: ${rest.join(' ')}`);
    return EXIT_USAGE;
  }
  if (action === 'list' || action === undefined) return listApps(folders, out);
  if (action !== 'enable' && action !== 'disable') {
    err(`daqd apps: unknown action '${action}' (use list, enable NAME or disable NAME)`);
    return EXIT_USAGE;
  }
  const problem = appNameProblem(name ?? '');
  if (problem !== undefined) {
    err(`daqd apps ${action}: ${problem}`);
    return EXIT_USAGE;
  }
  const file = fileName(name ?? '');
  const source = path.join(folders.available, file);
  const link = path.join(folders.enabled, file);
  if (action === 'enable') {
    if (!(await exists(source))) {
      err(`daqd apps enable: no app '${name}': ${source} does not exist`);
      return EXIT_NOINPUT;
    }
    if (await exists(link)) {
      out(`app '${name}' is already enabled (${link})`);
      return 0;
    }
    await mkdir(folders.enabled, { recursive: true });
    await symlink(path.relative(folders.enabled, source), link);
    out(`enabled app '${name}': ${link} -> ${source}`);
    return 0;
  }
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(link);
  } catch {
    err(`daqd apps disable: app '${name}' is not enabled (no ${link})`);
    return EXIT_NOINPUT;
  }
  if (!stat.isSymbolicLink()) {
    err(`daqd apps disable: ${link} is a file, not a link; move it away by hand if you mean it`);
    return EXIT_USAGE;
  }
  await unlink(link);
  out(`disabled app '${name}' (removed ${link})`);
  return 0;
}

async function listNames(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((f) => f.endsWith('.ini')).sort();
  } catch {
    return [];
  }
}

async function listApps(folders: AppFolders, out: (line: string) => void): Promise<number> {
  const available = await listNames(folders.available);
  const enabled = await listNames(folders.enabled);
  for (const file of available) {
    out(`${enabled.includes(file) ? '[enabled] ' : '          '}${file.replace(/\.ini$/, '')}`);
  }
  for (const file of enabled.filter((f) => !available.includes(f))) {
    const link = path.join(folders.enabled, file);
    const target = await readlink(link).catch(() => 'a file, not a link');
    out(`[enabled] ${file.replace(/\.ini$/, '')} (${target})`);
  }
  if (available.length === 0 && enabled.length === 0) out(`no apps in ${folders.available}`);
  return 0;
}
