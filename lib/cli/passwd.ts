import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadMainSettings } from '../config/load.js';
import { errorMessage } from '../core/errors.js';
import { ANONYMOUS } from '../http/auth/access-rules.js';
import { hashSecret } from '../http/auth/secret-hash.js';
import { EXIT_CONFIG } from './check.js';

/** What `daqd passwd` is run with. */
export interface PasswdOptions {
  configFile: string;
  env: NodeJS.ProcessEnv;
  /** `--access-file FILE`: the file to edit instead of `[http] access_file`. */
  accessFile: string | undefined;
  /** `--token`: make a random token instead of reading a password. */
  token: boolean;
  /** `--delete`: remove the user. */
  remove: boolean;
  /** The password source (stdin); a TTY is asked twice without echo. */
  input: NodeJS.ReadStream;
  out: (line: string) => void;
  err: (line: string) => void;
}

const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/**
 * `daqd passwd [--token] [--delete] NAME`: writes a user's scrypt hash into the `[users]` section of the
 * access file (`[http] access_file`, or `--access-file`), creating the file (mode 0600) or the section
 * when missing, replacing the user's line when present; comments and the other lines stay as written.
 * The password is read from stdin (asked twice on a terminal), never from the command line, where `ps`
 * and the shell history would show it. `--token` makes a random 256-bit token and prints it once as
 * `NAME.SECRET` (for `Authorization: Bearer …`). A running daqd reads the file on SIGHUP.
 * Exit codes: 0 done, 1 failed, 64 usage, 78 no access file configured.
 */
export async function runPasswd(args: readonly string[], options: PasswdOptions): Promise<number> {
  const { out, err } = options;
  const [name, ...extra] = args;
  if (name === undefined || extra.length > 0) {
    err('Usage: daqd passwd [--token | --delete] NAME [--access-file FILE] [--config FILE]');
    return 64;
  }
  if (!USER_NAME.test(name) || name.toLowerCase() === ANONYMOUS) {
    err(`daqd passwd: '${name}' is not a user name (1 to 64 of letters, digits, _.@-; not '${ANONYMOUS}')`);
    return 64;
  }
  let file = options.accessFile;
  if (file === undefined) {
    const main = await loadMainSettings(options.configFile, options.env);
    file = main.settings.http.access_file;
    if (file === undefined) {
      err(`daqd passwd: ${options.configFile}: no [http] access_file set (or pass --access-file FILE)`);
      return EXIT_CONFIG;
    }
  }
  try {
    let secret: string | undefined;
    if (options.token) secret = randomBytes(32).toString('base64url');
    else if (!options.remove) secret = await readPassword(options.input, err);
    if (secret === '') {
      err('daqd passwd: empty password; nothing written');
      return 1;
    }
    const line = secret === undefined ? undefined : `${name.toLowerCase()} = ${await hashSecret(secret)}`;
    const found = await editUsers(file, name.toLowerCase(), line);
    if (options.remove) {
      out(found ? `removed '${name}' from ${file}` : `'${name}' is not in ${file}; nothing changed`);
    } else {
      out(`${found ? 'changed' : 'added'} '${name}' in ${file}; grant it scopes in a [realm:…] section`);
      if (options.token) out(`token (shown once): ${name.toLowerCase()}.${secret}`);
    }
    out('a running daqd reads the file on SIGHUP (systemctl reload daqd)');
    return 0;
  } catch (e) {
    err(`daqd passwd: ${errorMessage(e)}`);
    return 1;
  }
}

/** Sets (or, with `line` undefined, removes) the user's line in `[users]`; true when it was there. */
async function editUsers(file: string, user: string, line: string | undefined): Promise<boolean> {
  let text = '';
  let mode = 0o600;
  try {
    text = await readFile(file, 'utf8');
    mode = (await stat(file)).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const header = lines.findIndex((l) => l.trim() === '[users]');
  let found = false;
  if (header < 0) {
    if (line !== undefined) lines.unshift('[users]', line, ...(lines.length > 0 ? [''] : []));
  } else {
    let end = header + 1;
    while (end < lines.length && !lines[end]!.trim().startsWith('[')) end++;
    const key = new RegExp(`^\\s*${user.replace(/[.]/g, '\\.')}\\s*[=:]`, 'i');
    const at = lines.slice(header + 1, end).findIndex((l) => key.test(l));
    if (at >= 0) {
      found = true;
      if (line === undefined) lines.splice(header + 1 + at, 1);
      else lines[header + 1 + at] = line;
    } else if (line !== undefined) {
      let last = end;
      while (last > header + 1 && lines[last - 1]!.trim() === '') last--;
      lines.splice(last, 0, line);
    }
  }
  // Written beside and renamed over: a daqd reading it on SIGHUP sees the old file or the new, never half.
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  await writeFile(temp, `${lines.join('\n')}\n`, { mode });
  await rename(temp, file);
  return found;
}

/** The password: asked twice without echo on a terminal, else the first line of stdin. */
async function readPassword(input: NodeJS.ReadStream, err: (line: string) => void): Promise<string> {
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  const first = await askHidden(input, 'Password: ');
  const second = await askHidden(input, 'Again: ');
  if (first !== second) {
    err('daqd passwd: the passwords differ');
    return '';
  }
  return first;
}

function askHidden(input: NodeJS.ReadStream, prompt: string): Promise<string> {
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((resolve) => {
    let typed = '';
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          input.off('data', onData);
          input.setRawMode(false);
          input.pause();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') process.exit(130);
        if (char === '\u007f') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    input.on('data', onData);
  });
}
