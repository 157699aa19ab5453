import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Client } from 'aedes';
import type { MainMqttSettings } from '../config/settings.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { RealmAcl } from './acl.js';
import { parsePasswordFile } from './password-file.js';

/** Who a connected client authenticated as. */
interface Principal {
  user: string | undefined;
}

/** What `BrokerAccess` is handed. */
export interface BrokerAccessContext {
  /** `[mqtt] password_file` and `acl_file`. */
  settings: Pick<MainMqttSettings, 'password_file' | 'acl_file'>;
  log: Log;
}

/**
 * Who may connect to the embedded broker, and where a client may publish and subscribe:
 * - no `password_file`: anonymous clients are welcome;
 * - `password_file` (`user:password` lines, plain text): a missing or wrong password is refused;
 * - `acl_file` (`user = realm1, realm2`, `*` = all): a client may publish and subscribe only inside
 *   granted realms (the first topic level). Without an ACL, admitted clients may go anywhere;
 * - publishing to `$SYS/…` is refused for everyone.
 *
 * `load()` reads both files at start; `reload()` (SIGHUP) reads them again, using both or neither.
 */
export class BrokerAccess {
  private readonly principals = new WeakMap<Client, Principal>();
  private passwords: ReadonlyMap<string, string> | undefined;
  private acl: RealmAcl | undefined;

  constructor(private readonly ctx: BrokerAccessContext) {}

  /** `N users` or `anonymous access`, plus `, realm ACL`: for the broker's start line. */
  describe(): string {
    return (
      `${this.passwords === undefined ? 'anonymous access' : `${this.passwords.size} users`}` +
      `${this.acl === undefined ? '' : ', realm ACL'}`
    );
  }

  /** Reads both access files, then uses them (both or neither). Throws `ConfigError` for a bad file. */
  async load(): Promise<void> {
    const { password_file, acl_file } = this.ctx.settings;
    const passwords = await readAccessFile(password_file, parsePasswordFile);
    const acl = await readAccessFile(acl_file, RealmAcl.parse);
    this.passwords = passwords;
    this.acl = acl;
  }

  /**
   * Reads `password_file` and `acl_file` again (SIGHUP). New passwords count for the next CONNECT; the
   * ACL counts at once, also for clients already connected. A file that cannot be read or has a bad
   * line leaves both as they were, with one error line naming it.
   */
  async reload(): Promise<void> {
    const { settings, log } = this.ctx;
    if (settings.password_file === undefined && settings.acl_file === undefined) return;
    try {
      await this.load();
    } catch (err) {
      const where = err instanceof ConfigError ? err.format() : errorMessage(err);
      log.error(`embedded broker: ${where}; the access rules in use stay`);
      return;
    }
    log.notice(
      `embedded broker: access files read again (${this.passwords?.size ?? 0} users` +
        `${this.acl === undefined ? '' : ', realm ACL'})`,
    );
  }

  /** True when an ACL names realms but no password file says who the users are. */
  get trustsUserNames(): boolean {
    return this.acl !== undefined && this.passwords === undefined;
  }

  /** Whether a CONNECT's credentials let the client in; remembers who it is. */
  admit(client: Client, username: string | undefined, password: Buffer | undefined): boolean {
    const given = password?.toString('utf8');
    let ok: boolean;
    if (this.passwords === undefined) ok = true;
    else {
      const expected = username === undefined ? undefined : this.passwords.get(username);
      ok = expected !== undefined && given !== undefined && sameSecret(given, expected);
    }
    if (ok) this.principals.set(client, { user: username });
    return ok;
  }

  /** The user name `client` was admitted with (undefined: none, or not admitted). */
  userOf(client: Client): string | undefined {
    return this.principals.get(client)?.user;
  }

  /** Why `client` may not publish to `topic`, or undefined when it may. */
  publishRefusal(client: Client | null, topic: string): string | undefined {
    if (topic.startsWith('$SYS')) return '$SYS topics are reserved';
    if (this.acl === undefined) return undefined;
    // No client: a will left over from before a restart, its owner unknown.
    if (client === null) return 'no client to check the realm grant against';
    const principal = this.principals.get(client);
    if (this.acl.mayPublish(principal?.user, topic)) return undefined;
    return `realm not granted to user '${principal?.user ?? ''}'`;
  }

  /** Why `client` may not subscribe to `filter`, or undefined when it may. */
  subscribeRefusal(client: Client, filter: string): string | undefined {
    const principal = this.principals.get(client);
    if (this.acl === undefined || this.acl.maySubscribe(principal?.user, filter)) return undefined;
    return `realm not granted to user '${principal?.user ?? ''}'`;
  }
}

async function readAccessFile<T>(
  file: string | undefined,
  parse: (text: string, file: string) => T,
): Promise<T | undefined> {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read: ${errorMessage(err)}`, { file }, { cause: err });
  }
  return parse(text, file);
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // timingSafeEqual needs equal lengths; the length itself is not the secret.
  return a.length === b.length && timingSafeEqual(a, b);
}
