import { parseIni, splitList } from '../../config/ini-file.js';
import { ConfigError } from '../../core/errors.js';
import { hashProblem } from './secret-hash.js';

/** What a request may do in a realm: ingest, read (export, latest), or administer. */
export type Scope = 'write' | 'read' | 'admin';

/** The name in a grant list that lets anyone in, with or without credentials. */
export const ANONYMOUS = 'anonymous';

/** `[realm:*]`: grants that hold in every realm; `admin` there also opens daqd's own endpoints. */
export const EVERY_REALM = '*';

const SCOPES: readonly Scope[] = ['write', 'read', 'admin'];
/** User names: no `:` (Basic splits there), no blanks; `.` is allowed (a token splits at its last `.`). */
const USER_NAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const REALM_NAME = /^[^/+#\s]+$/;

/**
 * The HTTP access file (`[http] access_file`), an INI file:
 *
 * ```ini
 * [users]
 * alice = $scrypt$ln=14,r=8,p=1$…$…      ; written by 'daqd passwd alice'
 * node-17 = $scrypt$ln=14,r=8,p=1$…$…    ; 'daqd passwd --token node-17'
 *
 * [realm:hiveeyes]
 * read = anonymous
 * write = node-17, alice
 *
 * [realm:*]
 * admin = alice
 * ```
 *
 * `[users]` maps a user (or token) name to its scrypt hash. `[realm:<realm>]` lists who holds `read`,
 * `write` and `admin` there (`anonymous` = anyone); `[realm:*]` holds in every realm, and its `admin`
 * opens daqd's own endpoints (`/metrics`, the details of `/health`). `admin` includes `read` and `write`.
 * User names are matched without regard to case (INI keys are). Pure: text in, rules out.
 */
export class AccessRules {
  private constructor(
    /** User name (lower case) → scrypt hash. */
    readonly users: ReadonlyMap<string, string>,
    private readonly grants: ReadonlyMap<string, ReadonlyMap<Scope, ReadonlySet<string>>>,
  ) {}

  /** Parses the file's text; every problem as a `ConfigError` (file, line), none → the rules. */
  static parse(text: string, file: string): { rules?: AccessRules; problems: ConfigError[] } {
    const { ini, problems } = parseIni(text, file);
    const users = new Map<string, string>();
    const grants = new Map<string, Map<Scope, Set<string>>>();
    const named: Array<{ name: string; line: number; key: string }> = [];
    for (const section of ini.sections) {
      const where = (line: number, key?: string) => ({
        file,
        line,
        key: key === undefined ? section.name : `${section.name}.${key}`,
      });
      if (section.name === 'users') {
        for (const [user, entry] of section.entries) {
          if (!USER_NAME.test(user)) {
            problems.push(
              new ConfigError(`'${user}' is not a user name (letters, digits, _.@-)`, where(entry.line)),
            );
          } else if (user === ANONYMOUS) {
            problems.push(
              new ConfigError(`'${ANONYMOUS}' is reserved for access without credentials`, where(entry.line)),
            );
          } else {
            const problem = hashProblem(entry.value);
            if (problem === undefined) users.set(user, entry.value);
            else problems.push(new ConfigError(`user '${user}': ${problem}`, where(entry.line, user)));
          }
        }
        continue;
      }
      const realm = /^realm:(.+)$/.exec(section.name)?.[1]?.trim();
      if (realm === undefined || !REALM_NAME.test(realm)) {
        problems.push(
          new ConfigError(
            'unknown section (expected [users], [realm:<realm>] or [realm:*])',
            where(section.line),
          ),
        );
        continue;
      }
      const scopes = new Map<Scope, Set<string>>();
      for (const [key, entry] of section.entries) {
        if (!(SCOPES as readonly string[]).includes(key)) {
          problems.push(
            new ConfigError('unknown key (expected read, write or admin)', where(entry.line, key)),
          );
          continue;
        }
        const names = splitList(entry.value).map((name) => name.toLowerCase());
        for (const name of names) named.push({ name, line: entry.line, key: `${section.name}.${key}` });
        scopes.set(key as Scope, new Set(names));
      }
      grants.set(realm, scopes);
    }
    for (const { name, line, key } of named) {
      if (name !== ANONYMOUS && !users.has(name)) {
        problems.push(new ConfigError(`'${name}' is not in [users]`, { file, line, key }));
      }
    }
    for (const { name, line, key } of named) {
      if (name === ANONYMOUS && key.endsWith('.admin')) {
        problems.push(new ConfigError('admin cannot be granted to anonymous', { file, line, key }));
      }
    }
    return problems.length > 0 ? { problems } : { rules: new AccessRules(users, grants), problems };
  }

  /**
   * Whether `user` (undefined: no credentials) holds `scope` in `realm` (`EVERY_REALM`: daqd's own
   * endpoints, which only `[realm:*]` grants).
   */
  allows(user: string | undefined, realm: string, scope: Scope): boolean {
    const sections = realm === EVERY_REALM ? [EVERY_REALM] : [realm, EVERY_REALM];
    for (const section of sections) {
      const scopes = this.grants.get(section);
      if (scopes === undefined) continue;
      for (const held of scope === 'admin' ? (['admin'] as const) : ([scope, 'admin'] as const)) {
        const names = scopes.get(held);
        if (names === undefined) continue;
        if (names.has(ANONYMOUS)) return true;
        if (user !== undefined && names.has(user)) return true;
      }
    }
    return false;
  }

  /** `N users, M realms`: for log lines. */
  describe(): string {
    return `${this.users.size} user(s), ${this.grants.size} realm section(s)`;
  }
}
