import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { ConfigError, errorMessage } from '../core/errors.js';
import { AccessRules } from '../http/auth/access-rules.js';
import type { SectionReader } from './section-reader.js';

/** `[http]` keys of who may connect, and over TLS. */
export interface HttpAccessSettings {
  /**
   * `access_file`: users (scrypt hashes, written by `daqd passwd`) and their scopes per realm; read at
   * start and on SIGHUP. Unset: no HTTP authentication. Relative to the main file.
   */
  access_file?: string | undefined;
  /**
   * `allow_anonymous`: let daqd listen on an address other machines reach without an access file, with
   * every endpoint open to everyone. Default false: such a start is refused (exit 78).
   */
  allow_anonymous: boolean;
  /** `cert_file`, `key_file`: PEM certificate (chain) and key; both set = HTTPS. Read again on SIGHUP. */
  cert_file?: string | undefined;
  key_file?: string | undefined;
}

/** True for an address only this machine reaches: 127.0.0.0/8, ::1, `localhost`. */
export function isLoopback(listen: string): boolean {
  const host = listen.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host.startsWith('::ffff:127.');
}

/**
 * Reads `access_file`, `allow_anonymous`, `cert_file` and `key_file` from `[http]` (paths relative to
 * `dir`), and refuses an address other machines reach without either an access file or a deliberate
 * `allow_anonymous = true` (as Mosquitto 2.0 refuses remote clients until authentication is set up).
 */
export function readHttpAccessKeys(http: SectionReader, dir: string, listen: string): HttpAccessSettings {
  const file = (key: string) => {
    const value = http.string(key);
    return value === undefined || value === '' ? undefined : path.resolve(dir, value);
  };
  const settings: HttpAccessSettings = {
    access_file: file('access_file'),
    allow_anonymous: http.boolean('allow_anonymous', false),
    cert_file: file('cert_file'),
    key_file: file('key_file'),
  };
  if ((settings.cert_file === undefined) !== (settings.key_file === undefined)) {
    const missing = settings.cert_file === undefined ? 'cert_file' : 'key_file';
    http.problem(missing, `HTTPS needs both cert_file and key_file; ${missing} is missing`);
  }
  if (settings.access_file !== undefined && settings.allow_anonymous) {
    http.problem(
      'allow_anonymous',
      "has no effect with access_file, which alone decides: grant 'anonymous' there (read = anonymous)",
    );
  }
  if (!isLoopback(listen) && settings.access_file === undefined && !settings.allow_anonymous) {
    http.problem(
      'listen',
      `'${listen}' is reachable from other machines and anyone could write and read every realm: ` +
        "set [http] access_file (users from 'daqd passwd'), or deliberately [http] allow_anonymous = true",
    );
  }
  return settings;
}

/**
 * Problems of the files `[http]` names: an access file that cannot be read or has a bad line, a
 * certificate or key that cannot be read. Checked at start and by `daqd check`, so both exit 78.
 */
export async function httpFileProblems(
  settings: HttpAccessSettings,
  mainFile: string,
): Promise<ConfigError[]> {
  const problems: ConfigError[] = [];
  const unreadable = (key: string, err: unknown) =>
    new ConfigError(`cannot read '${(err as { path?: string }).path ?? ''}': ${errorMessage(err)}`, {
      file: mainFile,
      key: `http.${key}`,
    });
  if (settings.access_file !== undefined) {
    try {
      const text = await readFile(settings.access_file, 'utf8');
      problems.push(...AccessRules.parse(text, settings.access_file).problems);
    } catch (err) {
      problems.push(unreadable('access_file', err));
    }
  }
  for (const key of ['cert_file', 'key_file'] as const) {
    const file = settings[key];
    if (file === undefined) continue;
    try {
      await readFile(file);
    } catch (err) {
      problems.push(unreadable(key, err));
    }
  }
  return problems;
}
