import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Aedes, type AedesOptions, type Client } from 'aedes';
import type { Level } from 'level';
import type { MessageHandler } from '../acquire/source/source.js';
import type { MainMqttSettings } from '../config/settings.js';
import { DaqdError, errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { BrokerAccess } from './access-control.js';
import { AdmissionGate } from './admission.js';
import { BrokerLogin } from './broker-login.js';
import { installExactDedupe } from './exact-dedupe.js';
import { BrokerListeners } from './listeners.js';
import type { LoginThrottleOptions } from './login-throttle.js';
import { PublishTaps, type TapDone, type TapHold } from './publish-tap.js';
import { type IncomingPersistence, Qos2Ledger } from './qos2-ledger.js';
import { SessionOwners } from './session-owners.js';
import { openSessionStore } from './session-store.js';

/** The part of aedes-persistence-level daqd uses (the package ships no types). */
interface BrokerPersistence extends IncomingPersistence {
  destroy(): Promise<void>;
  /** Resolves with a QoS 2 packet the client sent before (and has not released), rejects when none. */
  incomingGetPacket(client: Client, packet: { messageId?: number | undefined }): Promise<unknown>;
}
const require = createRequire(import.meta.url);
const levelPersistence = require('aedes-persistence-level') as (
  db: Level<string, string>,
) => BrokerPersistence;

/** Everything the embedded broker is handed. */
export interface EmbeddedBrokerContext {
  /** `[mqtt]`: host, port, websocket_port, password_file, acl_file. */
  settings: MainMqttSettings;
  /** daqd's data folder; the broker keeps its sessions in `<dataDir>/broker`. */
  dataDir: string;
  log: Log;
  /**
   * Hold the CONNACK of clients until `admitClients()`, so daqd's realms open their taps first and
   * nothing published at start-up passes them by. Held clients just wait (no refusal: some
   * client libraries give up on a refused CONNECT).
   */
  admitLater?: boolean | undefined;
  /** How wrong passwords are slowed (`LoginThrottle`); the defaults suit production. */
  loginThrottle?: LoginThrottleOptions | undefined;
}

/**
 * The MQTT broker of zero-setup mode: aedes 1.x on `settings.host:settings.port` (TCP), sessions of
 * `clean=false` clients (subscriptions and queued QoS 1/2 messages) kept on disk in LevelDB under
 * `<dataDir>/broker`, so a subscriber that was away gets what was published meanwhile, across restarts.
 *
 * Protocol: MQTT 3.1 and 3.1.1 only. aedes 1.2 answers a v5 CONNECT with CONNACK return code 1
 * ("unacceptable protocol version").
 *
 * Access (`BrokerAccess`, access-control.ts):
 * - no `password_file`: anonymous clients are welcome;
 * - `password_file` (`user:password` lines, plain text): a missing or wrong password gets CONNACK 5
 *   (not authorized);
 * - `acl_file` (`user = realm1, realm2`, `*` = all): a client may publish only into granted realms (the
 *   first topic level) — anything else is refused and, as MQTT 3.1.1 has no way to say so, its
 *   connection is closed; a subscription outside the granted realms is answered with SUBACK 0x80.
 *   Without an ACL, authenticated clients may publish and subscribe anywhere.
 * - publishing to `$SYS/…` is refused for everyone;
 * - a client id belongs to the user whose client holds it live or with a persistent session: anyone
 *   else's CONNECT with it gets CONNACK 5 (`SessionOwners`, session-owners.ts);
 * - wrong passwords are slowed per source address, exponentially (`LoginThrottle`), and refusals are
 *   logged summarised (`BrokerLogin`, broker-login.ts).
 * With `admitLater`, clients wait for their CONNACK until `admitClients()` (`AdmissionGate`, admission.ts).
 *
 * daqd's realms do not connect as clients: each opens a tap (`openTap`) that gets the messages of its
 * filters inside the publish path, after the access check and before the publisher is acknowledged
 * (see `PublishTaps`). A QoS 1 or 2 publisher is thus acknowledged only once daqd stored its reading,
 * and readings are stored in the order each publisher sent them.
 *
 * WebSocket: with `websocket_port` > 0 the same broker also speaks MQTT over WebSocket on
 * `settings.host:websocket_port` (any path, subprotocol `mqtt`), e.g. for browser dashboards; access
 * rules and sessions are the same as over TCP.
 *
 * Delivery: aedes' duplicate filter is replaced by an exact one (`installExactDedupe`), because aedes'
 * own one holds back a live QoS 1 message that a later message overtook inside the broker.
 */
export class EmbeddedBroker {
  private readonly settings: MainMqttSettings;
  private readonly dir: string;
  private readonly log: Log;
  private readonly taps: PublishTaps;
  private readonly access: BrokerAccess;
  private readonly admission: AdmissionGate;
  private readonly login: BrokerLogin;
  private db: Level<string, string> | undefined;
  private persistence: BrokerPersistence | undefined;
  private qos2: Qos2Ledger | undefined;
  /** Per client, the hand-over still waiting for the QoS 2 ledger: later messages go after it. */
  private readonly handing = new WeakMap<Client, Promise<void>>();
  private broker: Aedes | undefined;
  private readonly listeners: BrokerListeners;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(ctx: EmbeddedBrokerContext) {
    this.settings = ctx.settings;
    this.dir = join(ctx.dataDir, 'broker');
    this.log = ctx.log;
    this.taps = new PublishTaps({ log: ctx.log });
    this.access = new BrokerAccess({ settings: ctx.settings, log: ctx.log });
    this.admission = new AdmissionGate({ open: ctx.admitLater !== true });
    this.login = new BrokerLogin({
      access: this.access,
      // aedes keeps its connected clients by id; its type declarations leave the map out.
      liveClient: (clientId) =>
        (this.broker as unknown as { clients: Record<string, Client> } | undefined)?.clients[clientId],
      log: ctx.log,
      throttle: ctx.loginThrottle,
    });
    this.listeners = new BrokerListeners({ log: ctx.log });
  }

  /** Lets outside clients in (see `admitLater`), the held ones first. */
  admitClients(): void {
    if (this.admission.isOpen) return;
    this.log.info(`embedded broker: accepting clients (${this.admission.waiting} were waiting)`);
    this.admission.open();
  }

  /**
   * Opens (or reopens) the tap `key` (a realm): from now on the messages published to `filters` go to
   * `handler` before their publisher is acknowledged. Messages held while the tap was paused go first.
   */
  openTap(key: string, filters: readonly string[], handler: MessageHandler): void {
    this.taps.open(key, { filters, handler, window: this.settings.receive_maximum });
  }

  /**
   * Pauses the tap `key`: its messages are held, unacknowledged, until it opens again, however long
   * that takes (or `closeTap`). Resolves once the messages its handler has already taken are settled.
   */
  pauseTap(key: string): Promise<void> {
    return this.taps.pause(key);
  }

  /** Closes the tap `key` for good (its realm was removed): what it held goes on unstored. */
  closeTap(key: string): void {
    this.taps.close(key);
  }

  /** The paused taps and the messages each holds (for `/health`). */
  tapHolds(): TapHold[] {
    return this.taps.holds();
  }

  /** Whether the tap `key` is open on a running broker. */
  tapOpen(key: string): boolean {
    return this.broker !== undefined && this.taps.isOpen(key);
  }

  /** Publishes a message from daqd itself (no access check, no tap), e.g. an error topic. */
  publish(topic: string, payload: string | Buffer, qos: 0 | 1 = 0): Promise<void> {
    const broker = this.broker;
    if (broker === undefined) {
      return Promise.reject(
        new DaqdError('broker', `embedded broker: cannot publish to '${topic}': not running`),
      );
    }
    return new Promise((resolve, reject) => {
      broker.publish(
        { cmd: 'publish', topic, payload: Buffer.from(payload), qos, retain: false, dup: false },
        (err) => (err ? reject(err) : resolve()),
      );
    });
  }

  /** Where the broker listens once started (the OS's port when `settings.port` is 0). */
  address(): { host: string; port: number } | undefined {
    return this.listeners.address();
  }

  /** Where the WebSocket listener listens once started; undefined when `websocket_port` is 0. */
  websocketAddress(): { host: string; port: number } | undefined {
    return this.listeners.websocketAddress();
  }

  /**
   * Reads the access files, opens the session store, listens on TCP (and WebSocket); fails on
   * EADDRINUSE and friends, with everything it opened closed again.
   */
  async start(): Promise<void> {
    if (this.starting !== undefined) return this.starting;
    this.stopping = undefined;
    this.starting = this.open();
    try {
      await this.starting;
    } catch (err) {
      this.starting = undefined;
      throw err;
    }
  }

  /** Closes the listener and every client connection, then the session store. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      // A start still under way finishes first, so what it opens is closed too.
      await this.starting?.catch(() => undefined);
      await this.close();
      this.starting = undefined;
      this.log.info('embedded broker stopped');
    })();
    return this.stopping;
  }

  /**
   * Reads `password_file` and `acl_file` again (SIGHUP). New passwords count for the next CONNECT; the
   * ACL counts at once, also for clients already connected. A file that cannot be read or has a bad
   * line leaves both as they were, with one error line naming it.
   */
  reloadAccess(): Promise<void> {
    return this.access.reload();
  }

  private async open(): Promise<void> {
    const { host, port } = this.settings;
    await this.access.load();
    if (this.access.trustsUserNames) {
      this.log.warning('embedded broker: acl_file without password_file: user names are taken on trust');
    }
    try {
      await this.openStore();
      await this.listeners.open(this.broker!, host, port, this.settings.websocket_port);
    } catch (err) {
      await this.close();
      throw err;
    }
    const where = this.address();
    const ws = this.websocketAddress();
    this.log.notice(
      `embedded broker listening on ${where?.host}:${where?.port}` +
        `${ws === undefined ? '' : `, WebSocket on port ${ws.port}`} (MQTT 3.1.1, sessions in ${this.dir}, ` +
        `${this.access.describe()})`,
    );
  }

  private async openStore(): Promise<void> {
    // A damaged store is moved aside (its sessions are lost), so that daqd starts.
    this.db = await openSessionStore({ dir: this.dir, log: this.log });
    this.persistence = levelPersistence(this.db);
    this.qos2 = new Qos2Ledger(this.db);
    this.qos2.follow(this.persistence);
    const owners = new SessionOwners(this.db);
    await owners.load();
    this.login.useOwners(owners);
    let dedupeWarned = false;
    const options: AedesOptions = {
      persistence: this.persistence,
      // Before anything is subscribed: aedes' own duplicate filter loses QoS 1 messages.
      preConnect: (client, _packet, done) => {
        if (!installExactDedupe(client, this.broker?.id ?? '') && !dedupeWarned) {
          dedupeWarned = true;
          this.log.warning(
            'embedded broker: this aedes has no per-client delivery functions; its duplicate filter ' +
              'stays, and may hold back QoS 1 messages until the subscriber reconnects',
          );
        }
        done(null, true);
      },
      authenticate: (client, username, password, done) => {
        this.admission.pass(() => this.login.authenticate(client, username, password, done));
      },
      authorizePublish: (client, packet, done) => {
        const refusal = this.access.publishRefusal(client, packet.topic);
        if (refusal !== undefined) {
          this.log.notice(
            `embedded broker: client '${client?.id ?? '-'}': publish to '${packet.topic}' refused: ${refusal}`,
          );
          done(new Error(refusal));
          return;
        }
        this.tapPublished(client, packet, done);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const refusal = this.access.subscribeRefusal(client, subscription.topic);
        if (refusal === undefined) return done(null, subscription);
        this.log.notice(
          `embedded broker: client '${client.id}': subscription '${subscription.topic}' refused: ${refusal}`,
        );
        // A negated subscription: SUBACK 0x80 for it, the connection stays up.
        done(null, null);
      },
    };
    this.broker = await Aedes.createBroker(options);
    this.broker.on('clientError', (client, err) => {
      if (this.log.isDebug()) this.log.debug(`embedded broker: client '${client.id}': ${err.message}`);
    });
    this.broker.on('connectionError', (client, err) => {
      if (this.log.isDebug()) this.log.debug(`embedded broker: connection '${client.id}': ${err.message}`);
    });
    // aedes emits 'error' when sweeping stale wills fails; unhandled it would end the process.
    const emitter: EventEmitter = this.broker;
    emitter.on('error', (err: Error) => this.log.error(`embedded broker: ${err.message}`));
  }

  /**
   * Hands an admitted publish to the taps. QoS 2 (exactly once, see `Qos2Ledger`): a packet the session
   * store still holds was taken and stored before, so only its PUBREC is repeated; any other goes
   * through the ledger first, which hands a resend over with its first receive time. A client's
   * messages are handed over in the order it sent them, also while one of them waits for the ledger.
   */
  private tapPublished(
    client: Client | null,
    packet: { topic: string; payload: Buffer | string; qos: number; messageId?: number },
    done: TapDone,
  ): void {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    const { persistence, qos2 } = this;
    const before = client === null ? undefined : this.handing.get(client);
    const messageId = packet.messageId;
    if (
      client === null ||
      packet.qos !== 2 ||
      messageId === undefined ||
      persistence === undefined ||
      qos2 === undefined
    ) {
      if (before === undefined) this.taps.offer(packet.topic, payload, packet.qos, done);
      else if (client !== null) {
        this.handOver(client, before, done, () => this.taps.offer(packet.topic, payload, packet.qos, done));
      }
      return;
    }
    this.handOver(client, before, done, async () => {
      const taken = await persistence.incomingGetPacket(client, packet).then(
        () => true,
        () => false,
      );
      if (taken) return done(null);
      const receivedAt = await qos2.arrived(client.id, messageId, packet.topic, payload);
      // Stopping meanwhile: no tap is left to take it, so it must stay unacknowledged.
      if (this.persistence !== persistence) throw new DaqdError('broker', 'embedded broker is stopping');
      this.taps.offer(packet.topic, payload, packet.qos, done, receivedAt);
    });
  }

  /** Runs `step` after the client's earlier hand-over; a failed step leaves its message unacknowledged. */
  private handOver(
    client: Client,
    before: Promise<void> | undefined,
    done: TapDone,
    step: () => void | Promise<void>,
  ): void {
    const next = (before ?? Promise.resolve()).then(step).catch((err: unknown) => {
      done(err instanceof Error ? err : new Error(String(err)));
    });
    this.handing.set(client, next);
    void next.then(() => {
      if (this.handing.get(client) === next) this.handing.delete(client);
    });
  }

  private async close(): Promise<void> {
    const { broker, persistence, db } = this;
    this.broker = undefined;
    this.persistence = undefined;
    this.qos2 = undefined;
    this.db = undefined;
    this.login.useOwners(undefined);
    this.login.flush();
    // Held messages stay unacknowledged: their publishers send them again after the restart.
    this.taps.abort(new DaqdError('broker', 'embedded broker is stopping'));
    await this.listeners.close(async () => {
      if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
    });
    try {
      if (persistence !== undefined) await persistence.destroy();
      else await db?.close();
    } catch (err) {
      this.log.warning(`embedded broker: closing session store: ${errorMessage(err)}`);
    }
  }
}
