import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Context, Next } from 'koa';
import { ConfigError, errorMessage } from '../../core/errors.js';
import type { Log } from '../../core/log.js';
import { HttpError } from '../http-error.js';
import { AccessRules, EVERY_REALM, type Scope } from './access-rules.js';
import { type Credentials, readCredentials } from './credentials.js';
import { FailureLog } from './failure-log.js';
import { routeNeed } from './route-scope.js';
import { hashSecret, verifySecret } from './secret-hash.js';
import { VerifiedCache } from './verified-cache.js';

/** What `HttpAccess` is handed. */
export interface HttpAccessContext {
  /** `[http] access_file`; unset: no HTTP authentication (loopback, or `allow_anonymous = true`). */
  file: string | undefined;
  log: Log;
}

/** What the access check leaves in Koa's state for the routes. */
export interface AccessState {
  /**
   * Throws `HttpError` 401 (credentials missing or wrong) or 403 (a known user without `scope` in
   * `realm`); with `realm` undefined, only 401 for credentials that are wrong. Routes whose realm the
   * path does not name (InfluxDB's `/write`) call it themselves, so the answer is in their words.
   */
  authorize?: (realm: string | undefined, scope: Scope) => void;
  /** Routes of kind 'routed': whether the client may read `realm` (the web view lists only those). */
  mayRead?: (realm: string) => boolean;
  /** `/health`: true when the client may see only the status, not the details. */
  healthBrief?: boolean;
}

/** The challenge of every 401 (RFC 7235: several challenges in one header, comma-separated). */
const CHALLENGE = 'Bearer realm="daqd", Basic realm="daqd", charset="UTF-8"';

/**
 * scrypt runs at a time at most. They run on libuv's thread pool (4 threads), which file system calls
 * share: a flood of new wrong passwords must not take all of it.
 */
const MAX_CHECKS = 2;

/** Who the request authenticated as: `undefined` user = no credentials. */
type Identity = { ok: true; user: string | undefined } | { ok: false; why: string };

/**
 * HTTP authentication and authorisation per realm, from the access file (see `AccessRules`).
 * `middleware()` runs before every route: credentials that are presented must be right (else 401, even
 * where anonymous access would do); then the scope the path needs (`routeNeed`) must be held by the
 * user, or by `anonymous` (else 401 without credentials, 403 with). Checked secrets are cached
 * (`VerifiedCache`) so only the first request of a client pays for scrypt. Refusals are logged once per
 * source per minute (`FailureLog`). Without an access file every request passes, as before.
 * `reload()` (SIGHUP) swaps the rules in one step: requests in flight finish under the rules they began with.
 */
export class HttpAccess {
  private rules: AccessRules | undefined;
  private readonly cache = new VerifiedCache();
  /** Checks running now, so a burst of requests with new credentials runs scrypt once. */
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly failures: FailureLog;
  /** scrypt runs going on now, and those waiting for one of the `MAX_CHECKS` places. */
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  /** A hash no secret matches: unknown users are checked against it, so they take as long as known ones. */
  private decoy: Promise<string> | undefined;

  constructor(private readonly ctx: HttpAccessContext) {
    this.failures = new FailureLog(ctx.log);
  }

  /** True when an access file is in use. */
  get enabled(): boolean {
    return this.rules !== undefined;
  }

  /** Reads the access file (at start); throws `ConfigError` naming the first bad line. */
  async load(): Promise<void> {
    if (this.ctx.file === undefined) return;
    this.rules = await readRules(this.ctx.file);
    this.ctx.log.info(`http: access rules from '${this.ctx.file}': ${this.rules.describe()}`);
  }

  /** Reads the access file again (SIGHUP); a file that cannot be read or has a bad line leaves the rules in use. */
  async reload(): Promise<void> {
    if (this.ctx.file === undefined) return;
    try {
      this.rules = await readRules(this.ctx.file);
    } catch (err) {
      const where = err instanceof ConfigError ? err.format() : errorMessage(err);
      this.ctx.log.error(`http: ${where}; the access rules in use stay`);
      return;
    }
    this.ctx.log.notice(`http: access file read again: ${this.rules.describe()}`);
  }

  /** The Koa middleware; mount it before the routes, after the error mapping. */
  middleware(): (koa: Context, next: Next) => Promise<void> {
    return async (koa, next) => {
      const rules = this.rules;
      if (rules === undefined) return next();
      const need = routeNeed(koa.method, koa.path);
      const influx = need.kind === 'database';
      const credentials = readCredentials(koa.headers, influx ? koa.query : undefined);
      const identity = await this.identify(rules, credentials);
      const source = koa.request.socket.remoteAddress ?? 'unknown';
      const authorize = (realm: string | undefined, scope: Scope) => {
        if (!identity.ok) {
          this.failures.report(source, `${identity.why} (${koa.method} ${koa.path})`);
          throw new HttpError(401, 'authentication failed', { 'WWW-Authenticate': CHALLENGE });
        }
        if (realm === undefined) return;
        if (rules.allows(identity.user, realm, scope)) return;
        const what = realm === EVERY_REALM ? `${scope} on daqd` : `${scope} in realm '${realm}'`;
        if (identity.user === undefined) {
          this.failures.report(source, `no credentials for ${what} (${koa.method} ${koa.path})`);
          throw new HttpError(401, `authentication required for ${what}`, { 'WWW-Authenticate': CHALLENGE });
        }
        this.failures.report(source, `user '${identity.user}' lacks ${what} (${koa.method} ${koa.path})`);
        throw new HttpError(403, `user '${identity.user}' may not ${scope} here`);
      };
      const state = koa.state as AccessState;
      if (need.kind === 'database' || need.kind === 'routed') {
        state.authorize = authorize;
        state.mayRead = (realm) => identity.ok && rules.allows(identity.user, realm, 'read');
      } else if (need.kind === 'health') {
        if (!identity.ok) authorize(EVERY_REALM, 'admin');
        state.healthBrief = !rules.allows(identity.ok ? identity.user : undefined, EVERY_REALM, 'admin');
      } else if (need.kind === 'realm') {
        authorize(need.realm, need.scope);
      } else if (!identity.ok) {
        authorize(EVERY_REALM, 'admin');
      }
      await next();
    };
  }

  private async identify(rules: AccessRules, credentials: Credentials): Promise<Identity> {
    if (credentials.kind === 'none') return { ok: true, user: undefined };
    if (credentials.kind === 'malformed')
      return { ok: false, why: `unreadable ${credentials.scheme} credentials` };
    const user = credentials.user.toLowerCase();
    const shown = user.length > 64 ? `${user.slice(0, 64)}…` : user;
    const hash = rules.users.get(user);
    if (hash === undefined) {
      this.decoy ??= hashSecret(randomBytes(16).toString('base64'));
      await this.verify(user, credentials.secret, await this.decoy);
      return { ok: false, why: `unknown user '${shown}'` };
    }
    const ok = await this.verify(user, credentials.secret, hash);
    return ok ? { ok: true, user } : { ok: false, why: `wrong secret for user '${shown}'` };
  }

  private async verify(user: string, secret: string, hash: string): Promise<boolean> {
    const key = VerifiedCache.key(user, secret);
    const known = this.cache.get(key, hash);
    if (known !== undefined) return known;
    const running = this.checking.get(key);
    if (running !== undefined) return running;
    const check = this.limited(() => verifySecret(secret, hash)).then(
      (ok) => {
        this.cache.set(key, hash, ok);
        return ok;
      },
      () => false,
    );
    this.checking.set(key, check);
    try {
      return await check;
    } finally {
      this.checking.delete(key);
    }
  }

  /** Runs `task` once fewer than `MAX_CHECKS` others run; a finished one hands its place on. */
  private async limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= MAX_CHECKS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    }
  }
}

async function readRules(file: string): Promise<AccessRules> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read the access file: ${errorMessage(err)}`,
      { file, key: 'http.access_file' },
      { cause: err },
    );
  }
  const { rules, problems } = AccessRules.parse(text, file);
  if (rules === undefined) throw problems[0] ?? new ConfigError('unreadable access file', { file });
  return rules;
}
