import type { IncomingMessage } from 'node:http';
import { DecodeError } from '../core/errors.js';
import { DEFAULT_BODY_TIMEOUT_S, idleLimitedChunks } from './body-idle.js';
import { HttpError } from './http-error.js';

/** Longest an error answer waits for the rest of an upload on a connection that closes afterwards. */
const DISCARD_WAIT_MS = 5_000;
/** Longest the rest of a refused upload is read and thrown away before the connection is cut. */
const DISCARD_CUT_MS = 10_000;

function tooLarge(limit: number, what: string): HttpError {
  return new HttpError(413, `request body ${what} the limit of ${limit} bytes ([http] max_body_size)`);
}

/**
 * Before an error answer to a request whose body was not read to the end: the rest is read and thrown
 * away. On a kept-alive connection the answer can go out at once (resolves now) and the connection stays
 * usable. On a connection that closes after the answer, closing with unread data would reset it and the
 * client (still sending) might never see the answer, so this resolves once the body has ended, or after
 * a few seconds. A client still sending after `DISCARD_CUT_MS` is cut off.
 */
export function discardRest(req: IncomingMessage, keepAlive: boolean): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const wait = setTimeout(resolve, keepAlive ? 0 : DISCARD_WAIT_MS);
    const cut = setTimeout(() => req.socket?.destroy(), DISCARD_CUT_MS);
    cut.unref();
    const done = () => {
      clearTimeout(wait);
      clearTimeout(cut);
      resolve();
    };
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}

/**
 * The request body, chunk by chunk as it arrives, at most `limit` bytes. A `Content-Length` above the
 * limit is refused (413) before anything is read; a body that grows past it (chunked uploads) is refused
 * as soon as it does. Reading is asynchronous, so a slow upload holds no one else up; the request stream
 * is not destroyed when the reader stops early, so an error can still be answered (see `discardRest`).
 * Compressed bodies (`Content-Encoding` other than identity) are refused with 415; a body that stalls for
 * `idleMs` with 408 (see `idleLimitedChunks`).
 */
export async function* bodyChunks(
  req: IncomingMessage,
  limit: number,
  idleMs = DEFAULT_BODY_TIMEOUT_S * 1000,
): AsyncGenerator<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity' && encoding !== '') {
    throw new HttpError(415, `Content-Encoding '${encoding}' is not supported; send the body uncompressed`);
  }
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit)
    throw tooLarge(limit, `of ${declared} bytes exceeds`);
  let total = 0;
  try {
    for await (const buffer of idleLimitedChunks(req, idleMs)) {
      total += buffer.length;
      if (total > limit) throw tooLarge(limit, 'exceeds');
      yield buffer;
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new DecodeError(
      `request body could not be read: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** The whole body (bounded by the limit `chunks` enforces), for a decoder to read. */
export async function bodyBytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
