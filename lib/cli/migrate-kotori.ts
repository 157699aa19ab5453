import { constants } from 'node:fs';
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  stat,
  symlink,
} from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';

/** EX_NOINPUT: the Kotori folder has no apps. */
const EXIT_NOINPUT = 66;

/** Where Kotori's Debian package keeps its configuration. */
export const KOTORI_DIR = '/etc/kotori';
/** Where daqd's Debian package keeps its configuration. */
export const DAQD_DIR = '/etc/daqd';

/** `daqd migrate-kotori`: from which folder to which, and where to say what happened. */
export interface MigrateKotoriOptions {
  /** Kotori's configuration folder, holding `apps-available/` and `apps-enabled/`. */
  from: string;
  /** daqd's configuration folder; its `apps-available/` and `apps-enabled/` are made when missing. */
  to: string;
  /** Print what would be done, change nothing. */
  dryRun: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What one step did: counted for the summary line. */
type Outcome = 'copied' | 'enabled' | 'skipped' | 'failed';

const isIni = (name: string) => name.endsWith('.ini');

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

async function listIni(folder: string): Promise<string[] | undefined> {
  try {
    return (await readdir(folder)).filter(isIni).sort();
  } catch {
    return undefined;
  }
}

/**
 * Copies Kotori's realm apps (`FROM/apps-available/*.ini`) and its enabled-app links
 * (`FROM/apps-enabled/*.ini`) into daqd's folders, keeping every name. A file already in the target is
 * never overwritten: the same content is skipped quietly, different content is skipped with a line
 * saying so. An enabled app that is a file or a link to somewhere else than `apps-available/` is
 * copied into `apps-available/` under its own name and linked. Every action and every skip is printed;
 * a failure is printed and the rest goes on. Resolves to the exit code: 0 done, 1 something failed,
 * 66 no Kotori apps in FROM.
 */
export async function migrateKotori(options: MigrateKotoriOptions): Promise<number> {
  const { from, to, dryRun, out, err } = options;
  const source = { available: path.join(from, 'apps-available'), enabled: path.join(from, 'apps-enabled') };
  const target = { available: path.join(to, 'apps-available'), enabled: path.join(to, 'apps-enabled') };
  const available = await listIni(source.available);
  const enabled = await listIni(source.enabled);
  if (available === undefined && enabled === undefined) {
    err(
      `daqd migrate-kotori: no Kotori apps in ${from} (neither apps-available/ nor apps-enabled/ is there)`,
    );
    return EXIT_NOINPUT;
  }
  const would = dryRun ? 'would ' : '';
  const counts: Record<Outcome, number> = { copied: 0, enabled: 0, skipped: 0, failed: 0 };
  const count = (outcome: Outcome) => {
    counts[outcome] += 1;
  };

  /** Copies FILE to target apps-available/NAME unless a file is there; 'same' when it already is. */
  const copyApp = async (file: string, name: string): Promise<Outcome | 'same'> => {
    const dest = path.join(target.available, name);
    if (await exists(dest)) {
      const [mine, theirs] = await Promise.all([readFile(file), readFile(dest)]);
      if (mine.equals(theirs)) return 'same';
      out(`skipped ${file}: ${dest} exists with other content; left as it is (compare the two by hand)`);
      return 'skipped';
    }
    if (!dryRun) {
      await mkdir(target.available, { recursive: true });
      await copyFile(file, dest, constants.COPYFILE_EXCL);
    }
    out(`${would}copy ${file} -> ${dest}`);
    const mode = (await stat(file)).mode;
    if ((mode & 0o004) === 0) {
      out(
        `  note: ${dest} is not readable by every user (mode ${(mode & 0o777).toString(8)}): ` +
          `the daqd service reads it as the user daqd ('chgrp daqd ${dest}; chmod g+r ${dest}')`,
      );
    }
    return 'copied';
  };

  for (const name of available ?? []) {
    const file = path.join(source.available, name);
    try {
      const outcome = await copyApp(file, name);
      if (outcome === 'same') out(`skipped ${file}: already in ${target.available} with the same content`);
      count(outcome === 'same' ? 'skipped' : outcome);
    } catch (e) {
      err(`daqd migrate-kotori: ${file}: ${errorMessage(e)}`);
      count('failed');
    }
  }

  const sourceAvailableReal = await realpath(source.available).catch(() => path.resolve(source.available));
  for (const name of enabled ?? []) {
    const entry = path.join(source.enabled, name);
    try {
      const outcome = await enableApp(entry, name);
      count(outcome);
    } catch (e) {
      err(`daqd migrate-kotori: ${entry}: ${errorMessage(e)}`);
      count('failed');
    }
  }

  /** Links target apps-enabled/NAME to the app ENTRY enables, copying that app first where needed. */
  async function enableApp(entry: string, name: string): Promise<Outcome> {
    let app = name;
    if ((await lstat(entry)).isSymbolicLink()) {
      const pointsTo = path.resolve(source.enabled, await readlink(entry));
      let real: string;
      try {
        real = await realpath(pointsTo);
      } catch {
        out(`skipped ${entry}: it links to ${pointsTo}, which does not exist`);
        return 'skipped';
      }
      if (
        path.dirname(real) === sourceAvailableReal ||
        path.dirname(pointsTo) === path.resolve(source.available)
      ) {
        app = path.basename(pointsTo);
      } else {
        const copied = await copyApp(real, name);
        if (copied === 'skipped') return 'skipped';
        if (copied === 'copied') count('copied');
      }
    } else {
      // A file in apps-enabled/ itself: it becomes an available app of the same name, linked.
      const copied = await copyApp(entry, name);
      if (copied === 'skipped') return 'skipped';
      if (copied === 'copied') count('copied');
    }
    const link = path.join(target.enabled, name);
    const linkTo = path.relative(target.enabled, path.join(target.available, app));
    if (await exists(link)) {
      const current = await readlink(link).catch(() => undefined);
      if (
        current !== undefined &&
        path.resolve(target.enabled, current) === path.resolve(target.enabled, linkTo)
      ) {
        out(`skipped ${entry}: already enabled (${link} -> ${current})`);
      } else {
        out(
          `skipped ${entry}: ${link} exists (${current === undefined ? 'a file' : `-> ${current}`}); left as it is`,
        );
      }
      return 'skipped';
    }
    if (!dryRun) {
      await mkdir(target.enabled, { recursive: true });
      await symlink(linkTo, link);
    }
    out(`${would}enable ${name.replace(/\.ini$/, '')}: ${link} -> ${linkTo}`);
    return 'enabled';
  }

  out(
    `${dryRun ? 'dry run, would have ' : ''}copied ${counts.copied} app file(s), enabled ${counts.enabled}; ` +
      `skipped ${counts.skipped}, failed ${counts.failed}`,
  );
  const kotoriIni = path.join(from, 'kotori.ini');
  if (await exists(kotoriIni)) {
    out(
      `Kotori's main file is not copied: carry its [mqtt] and [influxdb] settings over into ` +
        `${path.join(to, 'daqd.ini')} by hand ('daqd check --config ${kotoriIni}' shows what daqd reads there)`,
    );
  }
  if (!dryRun && counts.copied + counts.enabled > 0) {
    out(`next: 'daqd check --config ${path.join(to, 'daqd.ini')}', then 'systemctl reload daqd'`);
  }
  return counts.failed > 0 ? 1 : 0;
}
