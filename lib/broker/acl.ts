import { ConfigError } from '../core/errors.js';

const ALL = '*';

/**
 * Realm grants of the embedded broker (`[mqtt] acl_file`): lines `user = realm1, realm2`, `*` granting
 * every realm; blank lines and `#` comments skipped. A realm is the first level of a topic, so a user
 * granted `hiveeyes` may publish to `hiveeyes/…` and subscribe to filters below it. A user not listed
 * may do neither. Pure: built from text, answers questions about topics.
 */
export class RealmAcl {
  private constructor(private readonly grants: ReadonlyMap<string, ReadonlySet<string>>) {}

  /** Parses the file's text; throws `ConfigError` (file, line) on a bad line. */
  static parse(text: string, file: string): RealmAcl {
    const grants = new Map<string, Set<string>>();
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '' || line.startsWith('#')) continue;
      const where = { file, line: i + 1, key: 'mqtt.acl_file' };
      const equals = line.indexOf('=');
      if (equals < 0) throw new ConfigError("expected 'user = realm1, realm2'", where);
      const user = line.slice(0, equals).trim();
      if (user === '') throw new ConfigError("empty user name (expected 'user = realm1, realm2')", where);
      const realms = line
        .slice(equals + 1)
        .split(',')
        .map((realm) => realm.trim())
        .filter((realm) => realm !== '');
      if (realms.length === 0) throw new ConfigError(`user '${user}': no realms granted`, where);
      for (const realm of realms) {
        if (realm !== ALL && /[/+#]/.test(realm)) {
          throw new ConfigError(`user '${user}': '${realm}' is not a realm name (no '/', '+' or '#')`, where);
        }
      }
      if (grants.has(user)) throw new ConfigError(`user '${user}' is listed twice`, where);
      grants.set(user, new Set(realms));
    }
    return new RealmAcl(grants);
  }

  /** May `user` publish to `topic`? Only into a granted realm. */
  mayPublish(user: string | undefined, topic: string): boolean {
    return this.granted(user, firstLevel(topic));
  }

  /**
   * May `user` subscribe to `filter`? Only to filters inside a granted realm; a filter whose first level
   * is a wildcard reaches every realm and needs `*`. `$share/<group>/` is looked through.
   */
  maySubscribe(user: string | undefined, filter: string): boolean {
    const shared = /^\$share\/[^/]+\/(.*)$/.exec(filter);
    const realm = firstLevel(shared === null ? filter : shared[1]!);
    if (realm === '+' || realm === '#') return this.granted(user, undefined);
    return this.granted(user, realm);
  }

  /** Is `realm` granted to `user`; with `realm` undefined, is every realm granted? */
  private granted(user: string | undefined, realm: string | undefined): boolean {
    if (user === undefined) return false;
    const realms = this.grants.get(user);
    if (realms === undefined) return false;
    return realms.has(ALL) || (realm !== undefined && realms.has(realm));
  }
}

function firstLevel(topic: string): string {
  const slash = topic.indexOf('/');
  return slash < 0 ? topic : topic.slice(0, slash);
}
