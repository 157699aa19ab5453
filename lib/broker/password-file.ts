import { ConfigError } from '../core/errors.js';

/**
 * Parses the embedded broker's password file (`[mqtt] password_file`): one `user:password` per line,
 * plain text, split at the first `:` (so a password may contain `:`); blank lines and lines starting
 * with `#` are skipped. The password is taken as written, spaces included.
 * Pure: text in, map of user → password out. Throws `ConfigError` (file, line) on a bad line.
 */
export function parsePasswordFile(text: string, file: string): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const where = { file, line: i + 1, key: 'mqtt.password_file' };
    const colon = line.indexOf(':');
    if (colon < 0) throw new ConfigError("expected 'user:password'", where);
    const user = line.slice(0, colon).trim();
    const password = line.slice(colon + 1);
    if (user === '') throw new ConfigError("empty user name (expected 'user:password')", where);
    if (password === '') throw new ConfigError(`user '${user}': empty password`, where);
    // mosquitto_passwd writes `$6$…`/`$7$…` hashes; this file holds plain passwords.
    if (/^\$[67]\$/.test(password)) {
      throw new ConfigError(
        `user '${user}': password looks like a mosquitto_passwd hash; write it in plain text`,
        where,
      );
    }
    if (users.has(user)) throw new ConfigError(`user '${user}' is listed twice`, where);
    users.set(user, password);
  }
  return users;
}
