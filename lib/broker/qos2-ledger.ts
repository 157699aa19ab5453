import { createHash } from 'node:crypto';
import type { Level } from 'level';
import { nowNs } from '../core/clock.js';

/** What the ledger keeps of a QoS 2 message from its first arrival until its PUBREL. */
interface Entry {
  /** Receive time of the first arrival, integer nanoseconds as a decimal string. */
  receivedAt: string;
  /** SHA-256 of topic and payload: a resend is the same message, not just the same packet id. */
  digest: string;
}

/** The client and message of an aedes persistence call. */
interface Who {
  id: string;
}

/** The part of aedes' persistence the ledger follows (aedes-persistence-level has these methods). */
export interface IncomingPersistence {
  incomingDelPacket(client: Who, packet: { messageId?: number | undefined }): Promise<void>;
  cleanIncoming?(client: Who): Promise<void>;
}

/**
 * Exactly-once for QoS 2 messages published to the embedded broker, also across a crash of daqd
 * (SIGKILL, power loss): the packet id of every QoS 2 message is written durably (fsync) with its
 * receive time *before* the message is handed to a realm, and kept until the publisher's PUBREL.
 *
 * Why this is enough: a realm stores a reading with its receive time as timestamp (when the payload
 * has none), and the store keeps one point per series and timestamp (InfluxDB; the SQLite store
 * upserts the same way). A message the publisher sends again (it got no PUBREC: daqd died after
 * storing it, or before) is recognised by client id, packet id, topic and payload, handed over
 * again with its first receive time, and so writes the very same point again: stored once. aedes'
 * own record of a QoS 2 message (written only after the realm stored it, read to answer a resend
 * with PUBREC alone) cannot do this by itself: a crash between the store and that record lost it.
 *
 * MQTT 3.1.1 §4.3.3: a receiver treats a PUBLISH with the packet id of an unfinished QoS 2 exchange
 * as the same message, DUP flag or not (MQTT.js 5 does not set DUP on a resend after a reconnect).
 * The ledger forgets a client's entries where aedes forgets its own: at PUBREL, and when the client
 * connects with a clean session (which by MQTT §3.1.2.4 discards the session's unfinished QoS 2
 * messages: exactly-once needs `clean = false` on the publisher, as MQTT specifies).
 */
export class Qos2Ledger {
  private readonly entries;
  /** The receive time handed out last: they only grow (see `arrived`). */
  private last = 0n;

  constructor(db: Level<string, string>) {
    // A sublevel of aedes' session store: aedes reads only its own key prefixes.
    this.entries = db.sublevel<string, Entry>('daqd-qos2', { valueEncoding: 'json' });
  }

  /**
   * A QoS 2 message arrived: its receive time, that of its first arrival when it is sent again.
   * Resolves once the entry is on disk.
   */
  async arrived(clientId: string, messageId: number, topic: string, payload: Buffer): Promise<bigint> {
    const key = entryKey(clientId, messageId);
    const digest = createHash('sha256').update(topic).update('\0').update(payload).digest('base64');
    const known = await this.entries.get(key);
    if (known !== undefined && known.digest === digest) return BigInt(known.receivedAt);
    // Strictly increasing, so a realm's per-series clock (which moves a stamp that is not past the one
    // before) keeps each of them as it is, the first time and when it is sent again.
    const now = nowNs();
    const receivedAt = now > this.last ? now : this.last + 1n;
    this.last = receivedAt;
    await this.entries.put(key, { receivedAt: String(receivedAt), digest }, FSYNC);
    return receivedAt;
  }

  /** The publisher released the message (PUBREL): it is done, the packet id free again. */
  async released(clientId: string, messageId: number): Promise<void> {
    await this.entries.del(entryKey(clientId, messageId), FSYNC);
  }

  /** The client started a clean session: its unfinished QoS 2 messages are forgotten. */
  async forget(clientId: string): Promise<void> {
    // MQTT strings hold no U+0000 (MQTT-1.5.3-2), so the range is exactly this client's keys.
    await this.entries.clear({ gte: `${clientId}\0`, lt: `${clientId}\u0001` });
  }

  /**
   * Makes the ledger forget what aedes forgets (PUBREL, clean session), by wrapping those two methods
   * of aedes' persistence. The ledger's entry goes first: should daqd die in between, aedes still
   * holds the message and the publisher's next PUBREL finishes it.
   */
  follow(persistence: IncomingPersistence): void {
    const deletePacket = persistence.incomingDelPacket.bind(persistence);
    persistence.incomingDelPacket = async (client, packet) => {
      if (packet.messageId !== undefined) await this.released(client.id, packet.messageId);
      await deletePacket(client, packet);
    };
    const cleanIncoming = persistence.cleanIncoming?.bind(persistence);
    if (cleanIncoming === undefined) return;
    persistence.cleanIncoming = async (client) => {
      await this.forget(client.id);
      await cleanIncoming(client);
    };
  }
}

/**
 * classic-level's `sync`: the write is on disk (fsync) before it resolves. The sublevel passes it on to
 * LevelDB; abstract-level's option types do not list it.
 */
const FSYNC = { sync: true, keyEncoding: 'utf8' } as const;

function entryKey(clientId: string, messageId: number): string {
  return `${clientId}\0${String(messageId).padStart(5, '0')}`;
}
