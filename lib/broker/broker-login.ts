import type { Client } from 'aedes';
import { errorMessage } from '../core/errors.js';
import type { Log } from '../core/log.js';
import { LogSummary } from '../core/log-summary.js';
import type { BrokerAccess } from './access-control.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import type { SessionOwners } from './session-owners.js';

/** MQTT 3.1.1 CONNACK return code 5. */
const NOT_AUTHORIZED = 5;

/** aedes' `authenticate` callback. */
export type AuthenticateDone = (
  err: (Error & { returnCode: number }) | null,
  success: boolean | null,
) => void;

/** What `BrokerLogin` is handed. */
export interface BrokerLoginContext {
  access: BrokerAccess;
  /** The client connected with an id right now, if any (aedes' `broker.clients`). */
  liveClient: (clientId: string) => Client | undefined;
  log: Log;
  throttle?: LoginThrottleOptions | undefined;
}

/**
 * The embedded broker's CONNECT check, in order: a source address with wrong passwords before waits its
 * turn (`LoginThrottle`); the credentials (`BrokerAccess`); the client id's owner (`SessionOwners`: no
 * user takes over another's session or live client). Refusals are logged summarised per source
 * address (the first at once, repeats as a count every 10 s), never with the password.
 */
export class BrokerLogin {
  private readonly throttle: LoginThrottle;
  private readonly summary: LogSummary;
  private owners: SessionOwners | undefined;

  constructor(private readonly ctx: BrokerLoginContext) {
    this.throttle = new LoginThrottle(ctx.throttle);
    this.summary = new LogSummary({ log: ctx.log });
  }

  /** Uses `owners` from now on (the session store is open). */
  useOwners(owners: SessionOwners | undefined): void {
    this.owners = owners;
  }

  /** Logs the refusals not yet logged (on stop). */
  flush(): void {
    this.summary.flush();
  }

  /** aedes' `authenticate`: admits the client or answers CONNACK 5. */
  authenticate(
    client: Client,
    username: string | undefined,
    password: Buffer | undefined,
    done: AuthenticateDone,
  ): void {
    const source = sourceOf(client);
    const turn = this.throttle.arrive(source);
    if (turn.kind === 'refuse') {
      this.refuse(client, username, source, 'too many attempts waiting', done);
      return;
    }
    const check = () => {
      const ok = this.ctx.access.admit(client, username, password);
      this.throttle.settled(source, ok, turn.queued);
      if (!ok) {
        this.refuse(client, username, source, 'not authorized', done);
        return;
      }
      this.claim(client, username, source, done);
    };
    if (turn.delayMs > 0) setTimeout(check, turn.delayMs).unref();
    else check();
  }

  /** Admitted: the client id must not be another user's; then it becomes this user's. */
  private claim(client: Client, username: string | undefined, source: string, done: AuthenticateDone): void {
    const owners = this.owners;
    if (owners === undefined) {
      done(null, true);
      return;
    }
    const live = this.ctx.liveClient(client.id);
    const liveOwner =
      live === undefined || live === client ? undefined : (this.ctx.access.userOf(live) ?? '');
    const refusal = owners.refusal(client.id, username, liveOwner);
    if (refusal !== undefined) {
      this.refuse(client, username, source, refusal, done);
      return;
    }
    owners.admitted(client.id, username, client.clean).then(
      () => done(null, true),
      (err: unknown) => {
        this.ctx.log.error(
          `embedded broker: cannot record the owner of client '${client.id}': ${errorMessage(err)}`,
        );
        done(Object.assign(new Error('session store unavailable'), { returnCode: 3 }), null);
      },
    );
  }

  private refuse(
    client: Client,
    username: string | undefined,
    source: string,
    why: string,
    done: AuthenticateDone,
  ): void {
    this.summary.report(
      `refused ${source}`,
      'notice',
      `embedded broker: refused client '${client.id}' (user '${username ?? ''}') from ${source}: ${why}`,
      `embedded broker: refused CONNECTs from ${source}`,
    );
    done(Object.assign(new Error('not authorized'), { returnCode: NOT_AUTHORIZED }), null);
  }
}

/** The client's source address: the TCP peer, or the WebSocket request's peer. */
function sourceOf(client: Client): string {
  const conn = client.conn as { remoteAddress?: string } | undefined;
  return conn?.remoteAddress ?? client.req?.socket?.remoteAddress ?? 'unknown';
}
