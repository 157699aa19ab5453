import type { Level } from 'level';

/** The owner of a session: the user name its client authenticated with, `''` for none. */
type Owner = string;

/**
 * Who owns each client id of the embedded broker, so that one user cannot take over another's session:
 * - a client id that a user holds with a persistent session (`clean = false`) stays that user's, across
 *   restarts (kept in a sublevel of the broker's session store), until the same user connects with a
 *   clean session, which ends the persistent one;
 * - a client id that is connected right now belongs to that connection's user.
 * A CONNECT by anyone else with that id is refused (CONNACK "not authorized") — it would otherwise
 * disconnect the live client (MQTT §3.1.4-2 session takeover) or get, and wipe, the other user's
 * subscriptions and queued messages. Refusing is chosen over binding the session to client id plus user
 * name because a node then sees at once that its id is taken, instead of silently getting a second,
 * empty session under the same id.
 *
 * Without a `password_file` user names are not verified, so this only keeps apart clients that say
 * different names (anonymous clients all count as one owner).
 */
export class SessionOwners {
  private readonly stored;
  private owners = new Map<string, Owner>();

  constructor(db: Level<string, string>) {
    // A sublevel of aedes' session store: aedes reads only its own key prefixes.
    this.stored = db.sublevel<string, string>('daqd-session-owner', { valueEncoding: 'utf8' });
  }

  /** Reads the owners of the persistent sessions (once, at start). */
  async load(): Promise<void> {
    const owners = new Map<string, Owner>();
    for await (const [clientId, owner] of this.stored.iterator()) owners.set(clientId, owner);
    this.owners = owners;
  }

  /** How many client ids have a persistent session with a known owner. */
  get size(): number {
    return this.owners.size;
  }

  /**
   * Why `user` may not connect as `clientId`, or undefined when it may. `liveOwner` is the user of the
   * client connected with that id right now (undefined when there is none).
   */
  refusal(clientId: string, user: string | undefined, liveOwner: Owner | undefined): string | undefined {
    const who = user ?? '';
    if (liveOwner !== undefined && liveOwner !== who) {
      return `client id '${clientId}' is connected as another user`;
    }
    const owner = this.owners.get(clientId);
    if (owner !== undefined && owner !== who) {
      return `client id '${clientId}' holds another user's persistent session`;
    }
    return undefined;
  }

  /**
   * A client was admitted: with a persistent session it is now `user`'s; a clean session ends the
   * persistent one, and with it the ownership. Resolves once that is on disk.
   */
  async admitted(clientId: string, user: string | undefined, clean: boolean): Promise<void> {
    const who = user ?? '';
    if (clean) {
      if (!this.owners.has(clientId)) return;
      this.owners.delete(clientId);
      await this.stored.del(clientId);
      return;
    }
    if (this.owners.get(clientId) === who) return;
    this.owners.set(clientId, who);
    await this.stored.put(clientId, who);
  }
}
