import Router from '@koa/router';
import type { PollRoundReport } from '../acquire/source/poll.js';
import { NotFoundError } from '../core/errors.js';
import { HttpError } from './http-error.js';

/** A realm's channel as the poll route needs it. */
export interface PollChannel {
  readonly pollSource?: { runRound(options: { jitter?: boolean }): Promise<PollRoundReport> } | undefined;
}

/** What the poll route is handed. */
export interface PollRouteContext {
  /** False until storage and channels are up. */
  ready: () => boolean;
  channel: (realm: string) => PollChannel | undefined;
}

/** Loopback addresses, as Node reports a peer (IPv4, IPv6, IPv4-mapped IPv6). */
function isLoopback(address: string | undefined): boolean {
  return (
    address !== undefined &&
    (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'))
  );
}

/**
 * `POST /poll/<realm>`: runs one polling round of the realm now and answers with what it stored (JSON,
 * `PollRoundReport`), as `daqd poll <realm>` prints it. Outside `/api/`, where realms' own paths are;
 * taken from this machine only (loopback), since it makes daqd send requests: 403 otherwise. 404 for a
 * realm that is not running or polls nothing; 503 while daqd starts.
 */
export function pollRouter(ctx: PollRouteContext): Router {
  const router = new Router();
  router.post('/poll/:realm', async (koa) => {
    if (!isLoopback(koa.request.socket.remoteAddress)) {
      throw new HttpError(403, 'a polling round is started from the machine daqd runs on only');
    }
    if (!ctx.ready())
      throw new HttpError(503, 'daqd is starting; try again in a moment', { 'Retry-After': '5' });
    const realm = koa.params['realm'] ?? '';
    const channel = ctx.channel(realm);
    if (channel === undefined) throw new NotFoundError(`no running realm '${realm}'`);
    const source = channel.pollSource;
    if (source === undefined)
      throw new NotFoundError(`realm '${realm}' polls nothing (no poll_urls or poll_url)`);
    koa.body = await source.runRound({ jitter: false });
  });
  return router;
}
